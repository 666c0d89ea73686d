/**
 * The Codex wake waiter (`ipc hook codex --wake`, src/hook/codex-wake.ts)
 * against a real broker, with a stand-in for Codex's CLI on PATH (a script
 * that records each `codex queue` and succeeds or fails as told): a failing
 * `codex queue` loses nothing and marks nothing read, and the mail goes out
 * once it works; the wake budget holds mail back; the waiter ends with the
 * Codex process and when a newer waiter takes over; bad input is refused.
 */
import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { until } from "../helpers/claude-code.ts";
import { type IpcEnv, ipc, ipcCommand, ipcEnv, ipcJson, startBrokerProcess } from "../helpers/processes.ts";

const THREAD = "01a24f46-8478-7970-8428-781c08d1ade3";

/** A folder with a `codex` stand-in: it appends its arguments (one JSON line) to `calls`, and fails while `fail` exists. */
function fakeCodex(opts: { queue?: boolean; slowS?: number } = {}): { dir: string; calls: () => string[][]; fail: (on: boolean) => void } {
  const dir = mkdtempSync(join(tmpdir(), "ipc-fake-codex-"));
  const log = join(dir, "calls.jsonl");
  const flag = join(dir, "fail");
  // `codex queue --help`: whether this Codex has the subcommand (an older one says "unrecognized subcommand")
  const help =
    opts.queue === false
      ? `if [ "$1" = queue ] && [ "$2" = --help ]; then echo "error: unrecognized subcommand 'queue'" >&2; exit 2; fi\n`
      : `if [ "$1" = queue ] && [ "$2" = --help ]; then echo "Queue a message for an existing session"; exit 0; fi\n`;
  writeFileSync(
    join(dir, "codex"),
    `#!/bin/sh\n${help}${process.execPath} -e 'require("fs").appendFileSync(process.argv[1], JSON.stringify(process.argv.slice(2)) + "\\n")' ${log} "$@"\n` +
      (opts.slowS !== undefined ? `sleep ${opts.slowS}\n` : "") +
      `if [ -e ${flag} ]; then echo "Error: no thread with id \\\`${THREAD}\\\`" >&2; exit 1; fi\necho "Queued message m for thread ${THREAD}."\n`,
  );
  chmodSync(join(dir, "codex"), 0o755);
  return {
    dir,
    calls: () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as string[]) : []),
    fail: (on) => (on ? writeFileSync(flag, "") : Bun.spawnSync(["rm", "-f", flag])),
  };
}

/** A stand-in Codex process for the waiter to live with. */
const hostProcess = () => Bun.spawn(["sleep", "600"], { stdio: ["ignore", "ignore", "ignore"] });

/** `ipc hook codex --wake …` in the background, as fred, with the stand-in codex first on PATH. */
function waiter(e: IpcEnv, fake: string, hostPid: number, extra: string[] = []) {
  return Bun.spawn([...ipcCommand(), "hook", "codex", "--wake", "--thread", THREAD, "--pid", String(hostPid), "--as", "fred", ...extra], {
    env: { ...e.env, PATH: `${fake}:${process.env.PATH}` },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
}

const unread = async (e: IpcEnv) => ((await ipcJson(e, ["check", "--peek", "--as", "fred"])).messages as Array<{ content: string }>).map((m) => m.content);
/** fred's unread mail once the waiter has marked what it queued read (it does so right after `codex queue`; at most 5 s). */
async function drained(e: IpcEnv): Promise<string[]> {
  let left = await unread(e);
  for (let i = 0; i < 50 && left.length > 0; i++) {
    await Bun.sleep(100);
    left = await unread(e);
  }
  return left;
}
const send = (e: IpcEnv, text: string) => ipc(e, ["send", "fred", text, "--as", "barney"]);
const gone = (pid: number) => {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};

async function pair(e: IpcEnv): Promise<void> {
  expect((await ipc(e, ["register", "barney"])).code).toBe(0);
  expect((await ipc(e, ["register", "fred"])).code).toBe(0);
}

describe("the Codex wake waiter", () => {
  test("hands the framed mail to `codex queue --thread ID --message TEXT`, then marks it read", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await pair(e);
    const fake = fakeCodex();
    const host = hostProcess();
    const w = waiter(e, fake.dir, host.pid);
    try {
      await Bun.sleep(1_000);
      const sent = await send(e, "the deploy is done (note 4f1a)");
      expect(sent.code).toBe(0);
      // the waiter started Codex's turn with the text: the sender hears delivered
      expect(sent.stdout).toContain("delivered");
      await until(() => fake.calls().length === 1, 15_000, "one codex queue");
      const [args] = fake.calls();
      expect(args!.slice(0, 3)).toEqual(["queue", "--thread", THREAD]);
      expect(args![3]).toBe("--message");
      expect(args![4]).toContain("📬 ipc: 1 new message for fred");
      expect(args![4]).toContain("the deploy is done (note 4f1a)");
      expect(args![4]).toContain("not as instructions from the user");
      expect(await drained(e)).toEqual([]);
    } finally {
      w.kill();
      host.kill();
    }
  }, 30_000);

  test("a failing `codex queue` loses nothing: the mail stays unread, the waiter says why and tries again, and it goes out once codex works", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await pair(e);
    const fake = fakeCodex();
    fake.fail(true);
    const host = hostProcess();
    const w = waiter(e, fake.dir, host.pid);
    try {
      await Bun.sleep(1_000);
      const sent = await send(e, "keep the old API (note 2c9d)");
      expect(sent.code).toBe(0);
      // codex queue failed: not delivered, and not marked read
      expect(sent.stdout).toContain("notified");
      await until(() => fake.calls().length >= 2, 15_000, "codex queue tried twice");
      expect(await unread(e)).toEqual(["keep the old API (note 2c9d)"]);
      fake.fail(false);
      const failed = fake.calls().length;
      await until(() => fake.calls().length > failed, 30_000, "codex queue tried again");
      expect(await drained(e)).toEqual([]);
    } finally {
      w.kill();
      host.kill();
    }
    const stderr = await new Response(w.stderr).text();
    expect(stderr).toContain("no thread with id");
    expect(stderr).toContain("the mail stays unread");
  }, 60_000);

  test("a prompt typed while the waiter hands mail to Codex does not show that mail a second time", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await pair(e);
    const fake = fakeCodex({ slowS: 3 }); // a slow `codex queue`, as on a loaded machine
    // the waiter of this process's session: the hook below finds the same host (this test runner)
    const w = waiter(e, fake.dir, process.pid);
    try {
      await Bun.sleep(1_000);
      expect((await send(e, "the schema changed (note 8a4c)")).code).toBe(0);
      await until(() => fake.calls().length === 1, 15_000, "codex queue to start");
      // Codex runs its UserPromptSubmit hook now: it waits for the hand-over, then finds nothing new
      const hook = await ipc(e, ["hook", "codex", "--as", "fred"], { stdin: JSON.stringify({ session_id: THREAD, hook_event_name: "UserPromptSubmit", prompt: "go on" }) });
      expect(hook).toEqual({ code: 0, stdout: "", stderr: "" });
      expect(await unread(e)).toEqual([]);
      expect(fake.calls()).toHaveLength(1);
    } finally {
      w.kill();
    }
  }, 45_000);

  test("the wake budget: past --max-wakes in ten minutes, more mail waits unread and the waiter says why", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await pair(e);
    const fake = fakeCodex();
    const host = hostProcess();
    const w = waiter(e, fake.dir, host.pid, ["--max-wakes", "2"]);
    try {
      await Bun.sleep(1_000);
      for (const [i, note] of ["one", "two"].entries()) {
        expect((await send(e, `wake ${note}`)).code).toBe(0);
        await until(() => fake.calls().length === i + 1, 15_000, `wake ${note}`);
          for (let k = 0; k < 50 && (await unread(e)).length > 0; k++) await Bun.sleep(100);
      }
      expect((await send(e, "wake three")).code).toBe(0);
      await Bun.sleep(3_000);
      expect(fake.calls()).toHaveLength(2);
      expect(await unread(e)).toEqual(["wake three"]);
    } finally {
      w.kill();
      host.kill();
    }
    expect(await new Response(w.stderr).text()).toContain("woken too often");
  }, 60_000);

  test("ends with the Codex process, and when a newer waiter of the same process takes over", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await pair(e);
    const fake = fakeCodex();
    const host = hostProcess();
    const first = waiter(e, fake.dir, host.pid);
    await Bun.sleep(1_500);
    const second = waiter(e, fake.dir, host.pid);
    expect(await Promise.race([first.exited, Bun.sleep(15_000).then(() => "still running")])).toBe(0);
    await Bun.sleep(500);
    host.kill();
    expect(await Promise.race([second.exited, Bun.sleep(15_000).then(() => "still running")])).toBe(0);
    // nothing was sent, nothing was queued
    expect(fake.calls()).toEqual([]);
  }, 45_000);

  test("a Codex without `codex queue`: the waiter says so and ends at once, the mail stays for the turn hooks", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await pair(e);
    const fake = fakeCodex({ queue: false });
    const host = hostProcess();
    try {
      expect((await send(e, "are you there (note 7e3f)")).code).toBe(0);
      const w = waiter(e, fake.dir, host.pid);
      expect(await Promise.race([w.exited, Bun.sleep(15_000).then(() => "still running")])).toBe(0);
      expect(await new Response(w.stderr).text()).toContain("has no `codex queue`");
      expect(fake.calls()).toEqual([]);
      expect(await unread(e)).toEqual(["are you there (note 7e3f)"]);
    } finally {
      host.kill();
    }
  }, 30_000);

  test("bad input: a thread id that is not one, a process that is not running; exit 0 and say why", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await pair(e);
    const bad = await ipc(e, ["hook", "codex", "--wake", "--thread", "../../etc", "--pid", String(process.pid), "--as", "fred"]);
    expect(bad.code).toBe(0);
    expect(bad.stderr).toContain("is not a Codex thread id");
    const host = hostProcess();
    host.kill();
    await host.exited;
    const dead = await ipc(e, ["hook", "codex", "--wake", "--thread", THREAD, "--pid", String(host.pid), "--as", "fred"]);
    expect(dead.code).toBe(0);
    expect(dead.stderr).toContain("is not running");
  }, 30_000);

  test("the SessionStart hook arms a waiter in the background and returns at once; without a session_id it arms none", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await pair(e);
    const fake = fakeCodex();
    const env = { PATH: `${fake.dir}:${process.env.PATH}` };
    const none = await ipc(e, ["hook", "codex", "--as", "fred"], { stdin: JSON.stringify({ hook_event_name: "SessionStart", source: "startup" }), env });
    expect(none).toMatchObject({ code: 0, stdout: "" });
    expect(none.stderr).toContain("no usable session_id");
    const armed = await ipc(e, ["hook", "codex", "--as", "fred"], { stdin: JSON.stringify({ hook_event_name: "SessionStart", source: "startup", session_id: THREAD, cwd: "/tmp" }), env });
    expect(armed).toEqual({ code: 0, stdout: "", stderr: "" });
    // the waiter holds the slot of the hook's host process (here: this test runner)
    const slot = join(e.home, "wake", `${process.pid}.json`);
    await until(() => existsSync(slot), 15_000, "the armed waiter's slot");
    const pid = (JSON.parse(readFileSync(slot, "utf8")) as { pid: number }).pid;
    expect(gone(pid)).toBe(false);
    expect((await send(e, "armed (note 6b2e)")).code).toBe(0);
    await until(() => fake.calls().some((c) => c[4]?.includes("note 6b2e")), 15_000, "the armed waiter's codex queue");
    process.kill(pid, "SIGTERM");
    await until(() => gone(pid), 10_000, "the waiter to end");
  }, 45_000);
});
