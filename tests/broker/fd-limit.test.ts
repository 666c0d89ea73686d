/** The broker's open-file limit: read at start, the soft limit raised to the hard one (bun:ffi setrlimit). */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { raiseFdLimit, socketRoom } from "../../src/broker/edge/fd-limit.ts";

const MODULE = join(import.meta.dir, "../../src/broker/edge/fd-limit.ts");

test.skipIf(process.platform !== "linux")("a soft limit below the hard one is raised to it, and /proc agrees", async () => {
  // In a child process: lowering the test runner's own limit would starve other tests.
  const script = `
    const { raiseFdLimit, setSoftFdLimit } = await import(${JSON.stringify(MODULE)});
    const lowered = setSoftFdLimit(300);
    const before = require("node:fs").readFileSync("/proc/self/limits", "utf8").match(/Max open files\\s+(\\d+)/)[1];
    const after = raiseFdLimit();
    const proc = require("node:fs").readFileSync("/proc/self/limits", "utf8").match(/Max open files\\s+(\\d+)\\s+(\\d+)/);
    console.log(JSON.stringify({ lowered, before: Number(before), after, proc: [Number(proc[1]), Number(proc[2])] }));
  `;
  await using proc = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" });
  const out = JSON.parse(await new Response(proc.stdout).text());
  expect(await proc.exited).toBe(0);
  expect(out.lowered).toBe(true);
  expect(out.before).toBe(300);
  expect(out.after.soft).toBe(Math.min(out.after.hard, 2 ** 20));
  expect(out.after.soft).toBeGreaterThan(300);
  expect(out.proc).toEqual([out.after.soft, out.after.hard]);
});

test("connections get the soft limit minus what the broker keeps for itself; unknown limits do not cap", () => {
  expect(socketRoom({ soft: 256, hard: 256 })).toBe(192);
  expect(socketRoom({ soft: 20, hard: 20 })).toBe(16);
  expect(socketRoom(null)).toBe(Number.POSITIVE_INFINITY);
  if (process.platform === "linux") expect(raiseFdLimit()!.soft).toBeGreaterThan(0);
});
