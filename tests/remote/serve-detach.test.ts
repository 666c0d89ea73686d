/**
 * `ipc serve --detach` as README "Across machines" and docs/remote.md use it:
 * the background broker runs with every setting the command was given
 * (--listen and the limit flags included), a broker that already runs takes
 * a --listen live, settings it cannot take are named, and a start that did
 * not happen is never reported. Real brokers, real CLI, a TLS listener on
 * 127.0.0.2 and a second IPC_HOME joining it.
 */
import { afterEach, expect, test, setDefaultTimeout } from "bun:test";
import { existsSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isAlive } from "../../src/home/files.ts";
import { freePort } from "../helpers/ports.ts";
import { type BrokerProcess, type IpcEnv, ipc, ipcEnv, ipcJson, startBrokerProcess } from "../helpers/processes.ts";

// Real broker processes on a shared 2-core machine: bun's 5 s default is too short under load (bunfig's timeout is not applied here).
setDefaultTimeout(60_000);

/** A free TCP port on 127.0.0.2 (the "other machine's" view of this broker). */
function freePortOn2(): number {
  const l = Bun.listen({ hostname: "127.0.0.2", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

/** Homes whose background broker is stopped after each test, and foreground brokers to stop. */
const homes: IpcEnv[] = [];
const foreground: BrokerProcess[] = [];

afterEach(async () => {
  for (const b of foreground.splice(0)) if (b.proc.exitCode === null) await b.stop();
  for (const e of homes.splice(0)) await stopBroker(e);
});

/** Stops `e`'s broker if one runs (ipc stop, then SIGKILL by pid if it is still there). */
async function stopBroker(e: IpcEnv): Promise<void> {
  const s = await ipc(e, ["status", "--json", "--no-spawn"]);
  if (s.code !== 0) return;
  const pid = JSON.parse(s.stdout).pid as number;
  await ipc(e, ["stop"]);
  if (isAlive(pid)) process.kill(pid, "SIGKILL");
}

/** The running broker's status (never starts one). */
function status(e: IpcEnv): Promise<{ pid: number; tls?: { listeners: { host: string; port: number }[] } }> {
  return ipcJson(e, ["status", "--no-spawn"]);
}

/** A fresh IPC_HOME with a free port, cleaned up after the test. */
function home(): IpcEnv {
  const e = ipcEnv();
  homes.push(e);
  return e;
}

/** Joins `laptop` to `server`'s broker through `ipc invite` / `ipc join`, and sends a message across as `from`. */
async function joinAndSend(server: IpcEnv, to: string): Promise<void> {
  const laptop = ipcEnv({ IPC_PORT: String(freePort()) });
  const { link } = await ipcJson<{ link: string }>(server, ["invite", "--name", "laptop"]);
  const joined = await ipc(laptop, ["join", link]);
  expect(joined.stderr).toBe("");
  expect(joined.code).toBe(0);
  expect((await ipc(laptop, ["register", "barney"], { env: { IPC_NAME: "barney" } })).code).toBe(0);
  expect((await ipc(laptop, ["send", to, "over TLS"], { env: { IPC_NAME: "barney" } })).code).toBe(0);
  const got = await ipcJson<{ messages: { from: string; content: string }[] }>(server, ["check"], { env: { IPC_NAME: to } });
  expect(got.messages).toContainEqual(expect.objectContaining({ from: "barney", content: "over TLS" }));
}

test("serve --detach starts the broker with --listen and the limit flags it was given", async () => {
  const e = home();
  const tls = freePortOn2();
  const r = await ipc(e, ["serve", "--detach", "--listen", `127.0.0.2:${tls}`, "--max-content-bytes", "100", "--max-unread", "1"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("Broker started");
  expect(r.stdout).toContain(`127.0.0.2:${tls}`);
  expect((await status(e)).tls?.listeners).toEqual([{ host: "127.0.0.2", port: tls }]);

  for (const name of ["fred", "wilma"]) expect((await ipc(e, ["register", name], { env: { IPC_NAME: name } })).code).toBe(0);
  // --max-content-bytes 100: a 200-byte message is refused.
  const big = await ipc(e, ["send", "wilma", "x".repeat(200)], { env: { IPC_NAME: "fred" } });
  expect(big.code).toBe(1);
  expect(big.stderr).toContain("100");
  // --max-unread 1: the second unread message is refused.
  expect((await ipc(e, ["send", "wilma", "one"], { env: { IPC_NAME: "fred" } })).code).toBe(0);
  const full = await ipc(e, ["send", "wilma", "two"], { env: { IPC_NAME: "fred" } });
  expect(full.code).toBe(1);

  await joinAndSend(e, "fred");
});

test("serve --detach --listen adds the listener to a broker a client already started, without restarting it", async () => {
  const e = home();
  expect((await ipc(e, ["register", "fred"], { env: { IPC_NAME: "fred" } })).code).toBe(0); // starts a plain broker
  const before = await status(e);
  expect(before.tls).toBeUndefined();

  const tls = freePortOn2();
  const r = await ipc(e, ["serve", "--detach", "--listen", `127.0.0.2:${tls}`]);
  expect(r.code).toBe(0);
  expect(r.stdout).not.toContain("Broker started");
  expect(r.stdout).toContain(`pid ${before.pid}`);
  expect(r.stdout).toContain(`127.0.0.2:${tls}`);
  const after = await status(e);
  expect(after.pid).toBe(before.pid);
  expect(after.tls?.listeners).toEqual([{ host: "127.0.0.2", port: tls }]);

  // Asking again changes nothing and says so.
  const again = await ipcJson<{ started: boolean; added: unknown[] }>(e, ["serve", "--detach", "--listen", `127.0.0.2:${tls}`]);
  expect(again).toMatchObject({ started: false, added: [] });
  expect((await status(e)).tls?.listeners).toHaveLength(1);

  await joinAndSend(e, "fred");
});

test("serve --detach with a limit the running broker does not have names it and how to apply it, and changes nothing", async () => {
  const e = home();
  expect((await ipc(e, ["register", "fred"], { env: { IPC_NAME: "fred" } })).code).toBe(0);
  const before = await status(e);
  const r = await ipc(e, ["serve", "--detach", "--max-content-bytes", "100"]);
  expect(r.code).toBe(1);
  expect(r.stdout).not.toContain("Broker started");
  expect(r.stderr).toContain("--max-content-bytes");
  expect(r.stderr).toContain("100");
  expect(r.stderr).toContain("--restart");
  expect((await status(e)).pid).toBe(before.pid);
});

test("when another client's broker answers first, serve --detach says so (never 'started') and still adds the listener", async () => {
  const e = home();
  const lockPath = join(e.home, "broker.lock");
  const log = join(e.home, "broker.log");
  // A broker of another client holds the lock but is not listening yet: the one serve spawns must give way.
  const fakeLock = () => writeFileSync(lockPath, JSON.stringify({ pid: process.pid, host: "127.0.0.1", port: e.port, socket: join(e.home, "ipc.sock"), started_at: new Date().toISOString() }));
  fakeLock();
  const tls = freePortOn2();
  const serving = ipc(e, ["serve", "--detach", "--listen", `127.0.0.2:${tls}`]);
  // Wait (bounded) until the spawned broker gave way; keep the lock young meanwhile so it is not taken over as stale.
  for (let i = 0; i < 500 && !(existsSync(log) && readFileSync(log, "utf8").includes("nothing to do")); i++) {
    const now = new Date();
    utimesSync(lockPath, now, now);
    await Bun.sleep(20);
  }
  expect(readFileSync(log, "utf8")).toContain("nothing to do");
  // Now the other client's broker starts for real (a plain one, no listener) and answers.
  const { rmSync } = await import("node:fs");
  rmSync(lockPath);
  const other = await startBrokerProcess(e);
  foreground.push(other);
  const r = await serving;
  expect(r.stdout).not.toContain("Broker started");
  expect(r.stdout).toContain(`pid ${other.proc.pid}`);
  expect(r.code).toBe(0);
  expect((await status(e)).tls?.listeners).toEqual([{ host: "127.0.0.2", port: tls }]);
  await ipcJson(e, ["register", "fred"], { env: { IPC_NAME: "fred" } });
  await joinAndSend(e, "fred");
});

test("serve --detach --restart hands the IPC_HOME to a broker with the new settings while clients keep starting brokers", async () => {
  const e = home();
  expect((await ipc(e, ["register", "fred"], { env: { IPC_NAME: "fred" } })).code).toBe(0);
  expect((await ipc(e, ["register", "wilma"], { env: { IPC_NAME: "wilma" } })).code).toBe(0);
  const before = await status(e);
  // Open AI hosts: clients that start a plain broker whenever none answers.
  let storming = true;
  const storm = [1, 2].map(async () => {
    for (let i = 0; i < 200 && storming; i++) await ipc(e, ["list"]);
  });
  const tls = freePortOn2();
  const r = await ipc(e, ["serve", "--detach", "--restart", "--max-content-bytes", "100", "--listen", `127.0.0.2:${tls}`]);
  storming = false;
  await Promise.all(storm);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const after = await status(e);
  expect(r.stdout).toContain(`Broker restarted: pid ${before.pid} handed over to pid ${after.pid}`);
  expect(after.pid).not.toBe(before.pid);
  expect(after.tls?.listeners).toEqual([{ host: "127.0.0.2", port: tls }]);
  const big = await ipc(e, ["send", "wilma", "x".repeat(200)], { env: { IPC_NAME: "fred" } });
  expect(big.code).toBe(1);
  expect(big.stderr).toContain("100");
  // The sessions survive the restart (the store is the same).
  expect((await ipc(e, ["send", "wilma", "after the restart"], { env: { IPC_NAME: "fred" } })).code).toBe(0);
});

test("--restart without --detach is a usage error", async () => {
  const e = home();
  const r = await ipc(e, ["serve", "--restart"]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain("--restart goes with --detach");
});

test("ipc stop, then serve --detach --listen while clients keep starting brokers: the listener is there and the line is true", async () => {
  const e = home();
  expect((await ipc(e, ["register", "fred"], { env: { IPC_NAME: "fred" } })).code).toBe(0);
  let storming = true;
  const storm = [1, 2].map(async () => {
    for (let i = 0; i < 200 && storming; i++) await ipc(e, ["list"]);
  });
  await Bun.sleep(200);
  expect((await ipc(e, ["stop"])).code).toBe(0);
  const tls = freePortOn2();
  const r = await ipc(e, ["serve", "--detach", "--listen", `127.0.0.2:${tls}`]);
  storming = false;
  await Promise.all(storm);
  expect(r.code).toBe(0);
  const s = await status(e);
  // Whichever broker won, the command named it truly, and it listens.
  const said = /^(Broker started|Another client started this IPC_HOME's broker|A broker is already running) \(pid (\d+)\)/.exec(r.stdout);
  expect(said).not.toBeNull();
  expect(Number(said![2])).toBe(s.pid);
  expect(s.tls?.listeners).toEqual([{ host: "127.0.0.2", port: tls }]);
});
