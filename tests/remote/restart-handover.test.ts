/**
 * A broker replaced by `ipc serve --detach --restart` hands the IPC_HOME lock
 * to its successor in one step: a broker another client starts at that moment
 * — even while the successor is frozen (SIGSTOP) — gives way instead of
 * taking the IPC_HOME. Real broker processes.
 */
import { afterAll, expect, test, setDefaultTimeout } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ipcCommand, ipcEnv, ipcJson, startBrokerProcess, waitForBroker } from "../helpers/processes.ts";
import { RawClient } from "../helpers/raw.ts";

// Real broker processes on a shared 2-core machine: bun's 5 s default is too short under load (bunfig's timeout is not applied here).
setDefaultTimeout(60_000);

const spawned: Bun.Subprocess[] = [];
afterAll(() => {
  for (const p of spawned) {
    if (p.exitCode !== null || p.signalCode !== null) continue;
    p.kill("SIGCONT");
    p.kill("SIGKILL");
  }
});

test("the lock passes from the old broker to its successor with no moment in which another broker can take it", async () => {
  const e = ipcEnv();
  const old = await startBrokerProcess(e);
  const successor = Bun.spawn([...ipcCommand(), "serve", "--succeed", String(old.proc.pid)], { env: e.env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  spawned.push(successor);
  // Frozen: whatever it has done so far, it cannot bind or answer until SIGCONT.
  successor.kill("SIGSTOP");

  await using owner = await RawClient.connect(e.port);
  expect((await owner.call({ id: 1, op: "shutdown", successor: successor.pid })).ok).toBe(true);
  expect(await old.proc.exited).toBe(0);
  expect(JSON.parse(readFileSync(join(e.home, "broker.lock"), "utf8")).pid).toBe(successor.pid);

  // Another client's broker, started now: the IPC_HOME is taken, so it gives way.
  const other = Bun.spawn([...ipcCommand(), "serve"], { env: e.env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  spawned.push(other);
  const gaveWay = await Promise.race([other.exited.then(() => true), Bun.sleep(15_000).then(() => false)]);
  expect(gaveWay).toBe(true);
  expect(other.exitCode).toBe(0);
  expect(await new Response(other.stderr).text()).toContain(`pid ${successor.pid}`);

  successor.kill("SIGCONT");
  await waitForBroker(e.env, 15_000, successor);
  expect((await ipcJson<{ pid: number }>(e, ["status", "--no-spawn"])).pid).toBe(successor.pid);
  successor.kill("SIGTERM");
  expect(await successor.exited).toBe(0);
});

test("only the owner may hand the IPC_HOME over", async () => {
  const e = ipcEnv({ IPC_OPEN: "1" });
  await using b = await startBrokerProcess(e);
  await using guest = await RawClient.connect(e.port, "127.0.0.1", { authenticate: false });
  expect((await guest.call({ id: 1, op: "register", name: "fred" })).ok).toBe(true);
  const r = await guest.call({ id: 2, op: "shutdown", successor: process.pid });
  expect(r.ok).toBe(false);
  expect(r.error.code).toBe("FORBIDDEN");
  expect((await ipcJson<{ pid: number }>(e, ["status", "--no-spawn"])).pid).toBe(b.proc.pid);
});
