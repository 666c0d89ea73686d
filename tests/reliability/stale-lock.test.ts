/** The IPC_HOME lock: a stuck broker keeps it, a dead one loses it. */
import { expect, test } from "bun:test";
import { utimesSync } from "node:fs";
import { join } from "node:path";
import { ipc, ipcCommand, ipcEnv, ipcJson, startBrokerProcess } from "../helpers/processes.ts";

test.skipIf(process.platform === "win32")("a stopped (SIGSTOP) broker keeps its lock; once it is dead, a new broker takes over", async () => {
  const e = ipcEnv();
  const a = await startBrokerProcess(e);
  const lock = join(e.home, "broker.lock");
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
