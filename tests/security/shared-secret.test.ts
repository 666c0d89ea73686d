/**
 * Issue 23, item 1: a holder of IPC_SHARED_SECRET — another OS user the broker
 * is shared with — may send and read as its own names, but never the owner's
 * operations: `ipc machines`, `ipc invite`, `ipc revoke`, `ipc ui`, a network
 * listener added live, a restart hand-over. Done as the review did it: a
 * throwaway OS user (useradd) with the secret, the real CLI, and hand-made
 * frames for the two ops the CLI sends only as part of `ipc serve --detach`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chownSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { freePort } from "../helpers/ports.ts";
import { type BrokerProcess, ipc, ipcCommand, ipcEnv, ipcJson, type IpcEnv, startBrokerProcess } from "../helpers/processes.ts";
import { multiUserSkip, type OtherUser, otherUser, restoreRepoModes } from "../helpers/users.ts";

afterAll(restoreRepoModes);

const SECRET = "correct horse battery staple, shared with the other user";
const ROOT = resolve(import.meta.dir, "../..");

/** Hand-made frames with the secret's proof: `listen`, then `shutdown` with a successor. Prints the replies as one JSON array. */
const RAW = `
import { clientProof, newNonce } from ${JSON.stringify(join(ROOT, "src/protocol/auth.ts"))};
const [port, secret, tlsHost] = [Number(process.argv[2]), process.argv[3], process.argv[4]];
setTimeout(() => process.exit(1), 10_000).unref();
const lines = [];
let buf = "";
let wake = () => {};
const sock = await Bun.connect({ hostname: "127.0.0.1", port, socket: {
  data(_s, d) { buf += d.toString(); const l = buf.split("\\n"); buf = l.pop(); lines.push(...l.map((x) => JSON.parse(x))); wake(); },
  close() { wake(); },
} });
async function call(frame) {
  const n = lines.length;
  sock.write(JSON.stringify(frame) + "\\n");
  for (let i = 0; i < 200 && lines.length === n; i++) await new Promise((r) => { wake = r; setTimeout(r, 50); });
  return lines[n];
}
const cn = newNonce();
const hello = await call({ id: 1, op: "hello", nonce: cn });
const proved = await call({ id: 2, op: "prove", proof: clientProof(secret, hello.nonce, cn) });
const listen = await call({ id: 3, op: "listen", add: [{ host: tlsHost, port: 0 }] });
const handover = await call({ id: 4, op: "shutdown", successor: process.pid });
console.log(JSON.stringify([proved, listen, handover]));
sock.end();
`;

describe.skipIf(multiUserSkip !== null)("another OS user holding the shared secret", () => {
  let e: IpcEnv;
  let broker: BrokerProcess;
  let user: OtherUser;
  let env: Record<string, string>;
  let as: (args: string[]) => ReturnType<typeof ipc>;

  beforeAll(async () => {
    e = ipcEnv({ IPC_SOCKET: "off", IPC_SHARED_SECRET: SECRET });
    broker = await startBrokerProcess(e, ["--listen", "127.0.0.2:0"]);
    // A joined machine, so that `revoke laptop` has something to revoke.
    const laptop = ipcEnv({ IPC_PORT: String(freePort()) });
    const { link } = await ipcJson<{ link: string }>(e, ["invite", "--name", "laptop"], { env: { IPC_SHARED_SECRET: "" } });
    expect((await ipc(laptop, ["join", link])).code).toBe(0);
    user = await otherUser();
    mkdirSync(join(user.dir, "ipc"), { mode: 0o700 });
    chownSync(join(user.dir, "ipc"), user.uid, user.uid);
    env = { HOME: user.dir, IPC_HOME: join(user.dir, "ipc"), IPC_PORT: String(e.port), IPC_SHARED_SECRET: SECRET, NO_COLOR: "1", PATH: process.env.PATH ?? "/usr/bin:/bin" };
    as = (args) => ipc({ ...e, cmd: [...user.as(env), ...ipcCommand()] }, args);
  }, 60_000);

  afterAll(async () => {
    await broker?.stop();
    await user?.[Symbol.asyncDispose]();
  });

  test("it uses the broker as an agent: registers its own name and sends", async () => {
    const r = await as(["register", "guest"]);
    expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: "" });
    expect((await as(["send", "guest", "note to self", "--as", "guest"])).code).toBe(0);
  }, 30_000);

  test("ipc machines, invite, revoke and ui are refused: the owner's, not the secret's", async () => {
    for (const args of [["machines"], ["invite"], ["revoke", "laptop"], ["ui"]]) {
      const r = await as(args);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(r.stderr).toContain("for the broker's owner only");
      expect(r.stderr).toContain("proved the shared secret, not the broker's key");
      expect(r.stdout).not.toContain("laptop");
      expect(r.stdout).not.toContain("ipc+tls://");
    }
    // The machine is still joined, not revoked.
    const machines = await ipcJson<{ machines: { name: string; revoked_at: string | null }[] }>(e, ["machines"], { env: { IPC_SHARED_SECRET: "" } });
    expect(machines.machines.map((m) => [m.name, m.revoked_at])).toEqual([["laptop", null]]);
  }, 60_000);

  test("a listener added live and a restart hand-over are refused; the broker keeps running", async () => {
    const script = join(user.dir, "owner-ops.ts");
    writeFileSync(script, RAW, { mode: 0o644 });
    const proc = Bun.spawn([...user.as({ PATH: process.env.PATH ?? "/usr/bin:/bin" }), process.execPath, script, String(e.port), SECRET, "127.0.0.3"], { stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    const [proved, listen, handover] = JSON.parse(out);
    expect(proved).toMatchObject({ ok: true, with: "secret" });
    expect([listen.ok, listen.error?.code, handover.ok, handover.error?.code]).toEqual([false, "FORBIDDEN", false, "FORBIDDEN"]);
    expect(listen.error.message).toContain("for the broker's owner only");
    const status = await ipcJson<{ pid: number; tls: { listeners: { host: string }[] } }>(e, ["status"], { env: { IPC_SHARED_SECRET: "" } });
    expect(status.pid).toBe(broker.proc.pid);
    expect(status.tls.listeners.map((l) => l.host)).toEqual(["127.0.0.2"]);
  }, 30_000);
});
