/** The IPC_HOME lock: a stuck broker keeps it, a dead one loses it. */
import { expect, test } from "bun:test";
import { rmSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { ipc, ipcCommand, ipcEnv, ipcJson, startBrokerProcess } from "../helpers/processes.ts";

test.skipIf(process.platform === "win32")("a stopped (SIGSTOP) broker keeps its lock; once it is dead, a new broker takes over", async () => {
  const e = ipcEnv();
  const a = await startBrokerProcess(e);
  const lock = join(e.home, "broker.lock");
  // Fully started (TCP accepts before the Unix socket is bound): status answers over the socket.
  expect((await ipcJson(e, ["status", "--no-spawn"])).socket).toBe(join(e.home, "ipc.sock"));
  a.proc.kill("SIGSTOP");
  const old = new Date(Date.now() - 60_000);
  utimesSync(lock, old, old);

  // A second broker finds the lock held by a process whose socket accepts but does not answer: it must not take over.
  const b = Bun.spawn([...ipcCommand(), "serve"], { env: e.env, stdout: "pipe", stderr: "pipe" });
  expect(await b.exited).toBe(0);
  expect(await new Response(b.stderr).text()).toContain("already running");

  a.proc.kill("SIGCONT");
  expect((await ipcJson(e, ["status"])).pid).toBe(a.proc.pid);

  // Dead (and reaped): the lock is stale and the next broker takes over, socket included.
  await a.kill();
  utimesSync(lock, old, old);
  await using c = await startBrokerProcess(e);
  const s = await ipcJson(e, ["status"]);
  expect(s.pid).toBe(c.proc.pid);
  expect(s.socket).toBe(join(e.home, "ipc.sock"));
  expect((await ipc(e, ["list", "--no-spawn"])).code).toBe(0);
}, 30_000);

test.skipIf(process.platform === "win32")("a stopped broker whose socket file is gone still holds the lock through its TCP port", async () => {
  // As when a broker is stopped between its TCP bind and its socket bind, or a tmp cleaner removed the socket.
  const e = ipcEnv();
  await using a = await startBrokerProcess(e);
  const lock = join(e.home, "broker.lock");
  expect((await ipcJson(e, ["status", "--no-spawn"])).pid).toBe(a.proc.pid);
  a.proc.kill("SIGSTOP");
  rmSync(join(e.home, "ipc.sock"));
  const old = new Date(Date.now() - 60_000);
  utimesSync(lock, old, old);

  const b = Bun.spawn([...ipcCommand(), "serve"], { env: e.env, stdout: "pipe", stderr: "pipe" });
  const [code, stderr] = [await b.exited, await new Response(b.stderr).text()];
  a.proc.kill("SIGCONT");
  expect(stderr).toContain("already running");
  expect(code).toBe(0);
  expect((await ipcJson(e, ["status"])).pid).toBe(a.proc.pid);
}, 30_000);
