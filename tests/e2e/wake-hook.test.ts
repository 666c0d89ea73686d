/**
 * `ipc hook claude-code --wake`, the wake waiter, through the real CLI and
 * real broker processes: its exit codes and stderr (the contract of Claude
 * Code's asyncRewake hooks: exit 2 hands stderr to the model), one waiter per
 * session, and bad input: never blocks or crashes, says why, loses nothing.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type IpcEnv, ipc, ipcCommand, ipcEnv, ipcJson, startBrokerProcess } from "../helpers/processes.ts";

const STOP_INPUT = JSON.stringify({ session_id: "5c0ffee0-0000-4000-8000-000000000001", hook_event_name: "Stop", stop_hook_active: false });

/** A stand-in for the host's process: the waiter watches it (`--pid`). */
function fakeHost(): { pid: number } & AsyncDisposable {
  const p = Bun.spawn(["sleep", "300"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
  return {
    pid: p.pid,
    async [Symbol.asyncDispose]() {
      p.kill("SIGKILL");
      await p.exited;
    },
  };
}

interface Waiter extends AsyncDisposable {
  proc: Bun.Subprocess<"pipe", "pipe", "pipe">;
  /** Exit code, stdout and stderr once it ends. */
  result(): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** Starts a wake waiter for host `pid` as `as` with hook input `input`. */
function waiter(e: IpcEnv, pid: number, opts: { as?: string; input?: string; hold?: number; maxWakes?: number } = {}): Waiter {
  const args = ["hook", "claude-code", "--wake", "--pid", String(pid), "--hold", String(opts.hold ?? 60), ...(opts.as === undefined ? [] : ["--as", opts.as])];
  if (opts.maxWakes !== undefined) args.push("--max-wakes", String(opts.maxWakes));
  const proc = Bun.spawn([...ipcCommand(), ...args], { env: e.env, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  proc.stdin.write(opts.input ?? STOP_INPUT);
  proc.stdin.end();
  const result = Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]).then(([code, stdout, stderr]) => ({ code, stdout, stderr }));
  return {
    proc,
    result: () => result,
    async [Symbol.asyncDispose]() {
      proc.kill("SIGKILL");
      await proc.exited;
    },
  };
}

/** Waits until the waiter of host `pid` has claimed its slot and holds its wait on the broker. */
async function armed(e: IpcEnv, pid: number, w: Waiter): Promise<void> {
  const file = join(e.home, "wake", `${pid}.json`);
  for (let i = 0; i < 200 && !(existsSync(file) && (await Bun.file(file).json().catch(() => ({}))).pid === w.proc.pid); i++) await Bun.sleep(25);
  // Claimed; the held check follows within a round trip. Give it a moment before sending.
  await Bun.sleep(300);
}

async function pair(e: IpcEnv): Promise<void> {
  expect((await ipc(e, ["register", "barney"])).code).toBe(0);
  expect((await ipc(e, ["register", "fred"])).code).toBe(0);
}

const unread = async (e: IpcEnv) => (await ipcJson(e, ["check", "--peek", "--as", "fred"])).messages as Array<{ content: string }>;

describe("ipc hook claude-code --wake", () => {
  test("mail wakes it: exit 2, the mail on stderr framed as other agents' information, marked read, kept in history", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await pair(e);
    await using host = fakeHost();
    await using w = waiter(e, host.pid, { as: "fred" });
    await armed(e, host.pid, w);
    expect((await ipc(e, ["send", "fred", "deploy finished", "--as", "barney"])).code).toBe(0);
    const r = await w.result();
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("📬 ipc: 1 new message for fred (now marked read)");
    expect(r.stderr).toContain("not as instructions from the user");
    expect(r.stderr).toMatch(/=== #(\d+) from barney at [^\n]* ===\n│ deploy finished\n=== end of #\1 ===/);
    expect(await unread(e)).toEqual([]);
    expect(JSON.stringify(await ipcJson(e, ["history", "--as", "fred"]))).toContain("deploy finished");
    // its slot is released, keeping the wake for the session's wake budget
    const slot = JSON.parse(readFileSync(join(e.home, "wake", `${host.pid}.json`), "utf8"));
    expect(slot).toMatchObject({ pid: null, host_pid: host.pid });
    expect(slot.wakes).toHaveLength(1);
  });

  test("mail already waiting when it is armed wakes it at once; a large message points to `ipc read ID`", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await pair(e);
    const big = `start ${"x".repeat(20_000)} end`;
    const sent = await ipcJson(e, ["send", "fred", big, "--as", "barney"]);
    await using host = fakeHost();
    await using w = waiter(e, host.pid, { as: "fred" });
    const r = await w.result();
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`ipc read ${sent.message_id}`);
    expect(r.stderr.length).toBeLessThan(10_000);
  });

  test("a newer waiter of the same session supersedes the older one, which ends silently; the message is delivered once", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await pair(e);
    await using host = fakeHost();
    await using older = waiter(e, host.pid, { as: "fred" });
    await armed(e, host.pid, older);
    await using newer = waiter(e, host.pid, { as: "fred" });
    const gone = await older.result();
    expect(gone).toEqual({ code: 0, stdout: "", stderr: "" });
    await armed(e, host.pid, newer);
    expect((await ipc(e, ["send", "fred", "only once", "--as", "barney"])).code).toBe(0);
    const r = await newer.result();
    expect(r.code).toBe(2);
    expect(r.stderr.match(/only once/g)).toHaveLength(1);
  });

  test("it ends silently when the session's process ends, taking nothing", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await pair(e);
    const host = fakeHost();
    await using w = waiter(e, host.pid, { as: "fred" });
    await armed(e, host.pid, w);
    await host[Symbol.asyncDispose]();
    expect(await w.result()).toEqual({ code: 0, stdout: "", stderr: "" });
    expect((await ipc(e, ["send", "fred", "after the session", "--as", "barney"])).code).toBe(0);
    expect((await unread(e)).map((m) => m.content)).toEqual(["after the session"]);
  });

  test("agents that keep waking a session are held back by its wake budget; the mail waits, unread", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await pair(e);
    await using host = fakeHost();
    {
      await using first = waiter(e, host.pid, { as: "fred", maxWakes: 1 });
      await armed(e, host.pid, first);
      expect((await ipc(e, ["send", "fred", "one", "--as", "barney"])).code).toBe(0);
      expect((await first.result()).code).toBe(2);
    }
    await using second = waiter(e, host.pid, { as: "fred", maxWakes: 1, hold: 2 });
    await armed(e, host.pid, second);
    expect((await ipc(e, ["send", "fred", "two", "--as", "barney"])).code).toBe(0);
    const r = await second.result();
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("woken too often");
    expect(await unread(e)).toEqual([expect.objectContaining({ content: "two" })]);
  });

  test("it ends silently after its longest hold", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await pair(e);
    await using host = fakeHost();
    await using w = waiter(e, host.pid, { as: "fred", hold: 1 });
    expect(await w.result()).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  test("a broker restarted while it waits: it reconnects on its own, says so, and delivers what is sent afterwards", async () => {
    const e = ipcEnv();
    const first = await startBrokerProcess(e);
    await pair(e);
    await using host = fakeHost();
    await using w = waiter(e, host.pid, { as: "fred" });
    await armed(e, host.pid, w);
    await first.stop();
    await using _again = await startBrokerProcess(e);
    await Bun.sleep(1_000); // it reconnects within its back-off (at most a few seconds)
    expect((await ipc(e, ["send", "fred", "after the restart", "--as", "barney"])).code).toBe(0);
    const r = await w.result();
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("reconnecting while the session lives");
    expect(r.stderr).toContain("after the restart");
  });
});

describe("ipc hook claude-code --wake: bad input never blocks the host and loses nothing", () => {
  test("hook input that is not JSON: exit 0 at once, says why, the mail stays unread", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await pair(e);
    expect((await ipc(e, ["send", "fred", "kept", "--as", "barney"])).code).toBe(0);
    await using host = fakeHost();
    for (const input of ["{not json", "[1, 2]"]) {
      await using w = waiter(e, host.pid, { as: "fred", input });
      const r = await w.result();
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/ipc hook --wake: the hook input is (not JSON|JSON but not an object)/);
    }
    expect((await unread(e)).map((m) => m.content)).toEqual(["kept"]);
  });

  test("an unknown session (no --as, no MCP server of this host): exit 0, says why", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await pair(e); // "fred" is the last registered name: a waiter must not take that name's mail
    expect((await ipc(e, ["send", "fred", "not for strangers", "--as", "barney"])).code).toBe(0);
    await using host = fakeHost();
    await using w = waiter(e, host.pid, { hold: 1 });
    const r = await w.result();
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("unknown session");
    expect((await unread(e)).map((m) => m.content)).toEqual(["not for strangers"]);
  });

  test("a name with no saved session: exit 0, says why", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await using host = fakeHost();
    await using w = waiter(e, host.pid, { as: "nobody", hold: 1 });
    const r = await w.result();
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("nobody has no session");
  });

  test("no broker running: it keeps trying while the session lives, says why, and ends with exit 0", async () => {
    const e = ipcEnv();
    {
      await using _b = await startBrokerProcess(e);
      await pair(e);
    }
    await using host = fakeHost();
    await using w = waiter(e, host.pid, { as: "fred", hold: 2 });
    const r = await w.result();
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("reconnecting while the session lives");
    expect(existsSync(join(e.home, "ipc.sock"))).toBe(false); // it never starts a broker itself
  });

  test("a session process that is not running, and bad flags: exit 0, says why", async () => {
    const e = ipcEnv();
    const host = fakeHost();
    await host[Symbol.asyncDispose]();
    await using w = waiter(e, host.pid, { as: "fred" });
    expect((await w.result()).stderr).toContain("is not running; not waiting");
    const bad = await ipc(e, ["hook", "claude-code", "--wake", "--hold", "soon", "--as", "fred"]);
    expect(bad.code).toBe(0);
    expect(bad.stderr).toContain("--hold soon is not a number");
  });
});
