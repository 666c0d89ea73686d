/** Concurrent starts: however many brokers or auto-spawning clients start at once, one broker serves them all. */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { ipc, ipcCommand, ipcEnv, ipcJson } from "../helpers/processes.ts";

/** Pids of `ipc serve` processes for this IPC_HOME still running (Linux /proc). */
function servePids(port: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      const state = readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]?.[0];
      if (state !== "Z" && argv.includes("serve") && argv.includes(String(port))) pids.push(Number(entry));
    } catch {
      // The process went away while we looked.
    }
  }
  return pids;
}

test.skipIf(process.platform !== "linux")("10 `ipc serve` started at once: one broker, the others exit 0", async () => {
  const e = ipcEnv();
  const procs = Array.from({ length: 10 }, () =>
    Bun.spawn([...ipcCommand(), "serve", "--port", String(e.port)], { env: e.env, stdout: "pipe", stderr: "pipe" }),
  );
  try {
    // The losers exit once they see the winner; poll (bounded: 20 s) until all but one have.
    for (let i = 0; i < 400 && procs.filter((p) => p.exitCode === null).length > 1; i++) await Bun.sleep(50);
    const running = procs.filter((p) => p.exitCode === null);
    expect(running).toHaveLength(1);
    for (const p of procs) if (p.exitCode !== null) expect(p.exitCode).toBe(0);
    const status = await ipcJson(e, ["status"]);
    expect(status.pid).toBe(running[0]!.pid);
    running[0]!.kill("SIGTERM");
    expect(await running[0]!.exited).toBe(0);
  } finally {
    for (const p of procs) p.kill("SIGKILL");
  }
}, 30_000);

test.skipIf(process.platform !== "linux")("10 clients auto-spawning at once all reach the one broker", async () => {
  const e = ipcEnv();
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => ipc(e, ["register", `agent${i}`, "--port", String(e.port)])));
  for (const r of results) expect(r.code).toBe(0);
  const { instances } = await ipcJson(e, ["list"]);
  expect(instances).toHaveLength(10);
  const status = await ipcJson(e, ["status"]);
  expect(servePids(e.port)).toEqual([status.pid]);
  expect((await ipc(e, ["stop"])).code).toBe(0);
}, 30_000);
