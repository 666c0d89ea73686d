/**
 * Issue 10: another OS user on this machine, by default, can neither list,
 * read, send nor stop anything — neither with the real CLI (which refuses a
 * broker of another user) nor with hand-made frames (which the broker
 * refuses until the connection proves the key). Runs as root with a
 * throwaway user (useradd / runuser / userdel); skipped with a reason elsewhere.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, chownSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ipc, ipcCommand, ipcEnv, ipcJson, startBrokerProcess, type BrokerProcess, type IpcEnv } from "../helpers/processes.ts";
import { multiUserSkip, type OtherUser, otherUser, restoreRepoModes } from "../helpers/users.ts";

afterAll(restoreRepoModes);

/** What the other user tries by hand: every op as a stranger, and the legacy protocol. Prints one JSON array. */
const RAW_ATTACK = `
const port = Number(process.argv[2]);
const replies = [];
// Bounded: whatever came back after 10 s is the answer (exit 1 marks the timeout).
setTimeout(() => { console.log(JSON.stringify(replies)); process.exit(1); }, 10_000).unref();
const frames = [
  { id: 0, op: "hello" },
  { id: 1, op: "list" },
  { id: 2, op: "status" },
  { id: 3, op: "register", name: "fred" },
  { id: 4, op: "check" },
  { id: 5, op: "history", with: "fred" },
  { id: 6, op: "send", to: "fred", content: "from the other user" },
  { id: 7, op: "shutdown" },
];
await new Promise((done) => {
  let buf = "";
  Bun.connect({ hostname: "127.0.0.1", port, socket: {
    open(s) { for (const f of frames) s.write(JSON.stringify(f) + "\\n"); },
    data(s, chunk) {
      buf += chunk.toString();
      const lines = buf.split("\\n");
      buf = lines.pop();
      for (const l of lines) replies.push(JSON.parse(l));
      if (replies.length === frames.length) { s.end(); done(); }
    },
    close() { done(); },
  } });
});
for (const req of [{ action: "register", instance_id: "fred" }, { action: "list" }]) {
  replies.push(await new Promise((done) => {
    let text = "";
    Bun.connect({ hostname: "127.0.0.1", port, socket: {
      open(s) { s.write(JSON.stringify(req)); },
      data(_s, chunk) { text += chunk.toString(); },
      close() { done(JSON.parse(text)); },
    } });
  }));
}
console.log(JSON.stringify(replies));
`;

describe.skipIf(multiUserSkip !== null)("another OS user", () => {
  let e: IpcEnv;
  let broker: BrokerProcess;
  let user: OtherUser;
  let as: (args: string[], home?: string) => ReturnType<typeof ipc>;

  beforeAll(async () => {
    e = ipcEnv({ IPC_SOCKET: "off" });
    broker = await startBrokerProcess(e);
    expect((await ipc(e, ["register", "barney"])).code).toBe(0);
    expect((await ipc(e, ["register", "fred"])).code).toBe(0);
    expect((await ipc(e, ["send", "fred", "the launch code is 1234", "--as", "barney"])).code).toBe(0);
    user = await otherUser();
    const base = { HOME: user.dir, IPC_PORT: String(e.port), NO_COLOR: "1", PATH: process.env.PATH ?? "/usr/bin:/bin" };
    mkdirSync(join(user.dir, "ipc"), { mode: 0o700 });
    chownSync(join(user.dir, "ipc"), user.uid, user.uid);
    as = (args, home = join(user.dir, "ipc")) => ipc({ ...e, cmd: [...user.as({ ...base, IPC_HOME: home }), ...ipcCommand()] }, args);
  }, 30_000);

  afterAll(async () => {
    await broker?.stop();
    await user?.[Symbol.asyncDispose]();
  });

  test("its ipc CLI refuses our broker: no list, status, register, send, check or stop", async () => {
    for (const args of [["list"], ["status"], ["register", "fred"], ["send", "fred", "hi", "--as", "fred"], ["check", "--as", "fred"], ["stop"]]) {
      const r = await as(args);
      expect({ args, code: r.code }).toEqual({ args, code: 3 });
      expect(r.stderr).toContain(`refusing the broker at 127.0.0.1:${e.port}`);
      expect(r.stderr).toContain("belongs to another user");
      expect(r.stdout).not.toContain("fred");
    }
    // Pointing IPC_HOME at ours does not help: the key is not readable to it.
    expect((await as(["list"], e.home)).code).not.toBe(0);
  }, 60_000);

  test("hand-made frames get hello and refusals; legacy gets no name without the shared secret", async () => {
    const script = join(user.dir, "attack.js");
    writeFileSync(script, RAW_ATTACK, { mode: 0o644 });
    const proc = Bun.spawn([...user.as({ PATH: process.env.PATH ?? "/usr/bin:/bin" }), process.execPath, script, String(e.port)], { stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    const replies = JSON.parse(out);
    expect(replies[0]).toMatchObject({ id: 0, ok: true, broker: "ipc", secure: true });
    expect(replies.slice(1, 8).map((r: any) => [r.id, r.error?.code])).toEqual([
      [1, "UNAUTHENTICATED"],
      [2, "UNAUTHENTICATED"],
      [3, "FORBIDDEN"],
      [4, "UNAUTHENTICATED"],
      [5, "UNAUTHENTICATED"],
      [6, "UNAUTHENTICATED"],
      [7, "FORBIDDEN"],
    ]);
    expect(replies[8].status).toBe("error");
    expect(replies[8].message).toContain("IPC_SHARED_SECRET");
    expect(replies[9]).toEqual({ status: "error", message: "Invalid or missing session token" });
    expect(out).not.toContain("barney");
  }, 30_000);

  test("open mode is the explicit opt-out: with IPC_OPEN=1 on both sides the other user may use the broker", async () => {
    const open = ipcEnv({ IPC_SOCKET: "off" });
    await using _open = await startBrokerProcess(open, ["--open"]);
    const run = (args: string[], env: Record<string, string> = {}) =>
      ipc({ ...open, cmd: [...user.as({ HOME: user.dir, IPC_HOME: join(user.dir, "ipc"), IPC_PORT: String(open.port), PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }), ...ipcCommand()] }, args);
    expect((await run(["list"])).code).toBe(3);
    const r = await run(["register", "guest"], { IPC_OPEN: "1" });
    expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: "" });
    expect((await ipcJson(open, ["list"])).instances.map((i: any) => i.name)).toEqual(["guest"]);
  }, 30_000);

  test("afterwards nothing changed: the broker runs, fred's mail is unread and from barney, no new names", async () => {
    expect((await ipcJson(e, ["status"])).pid).toBeGreaterThan(0);
    expect((await ipcJson(e, ["list"])).instances.map((i: any) => i.name)).toEqual(["barney", "fred"]);
    const mail = await ipcJson(e, ["check", "--as", "fred"]);
    expect(mail.messages.map((m: any) => [m.from, m.content])).toEqual([["barney", "the launch code is 1234"]]);
  }, 30_000);
});
