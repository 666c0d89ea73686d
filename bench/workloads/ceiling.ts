/** The durable ceiling (bench/lib/durable-ceiling.ts), measured in its own process like the echo limit. */
import { join } from "node:path";
import { tempHome, whilePaused } from "../lib/procs.ts";
import type { Measurements, Timing } from "./types.ts";

/**
 * Measures the durable ceiling (rows/s) as `{ ceiling }`. The processes in `paused` (brokers
 * kept for the next workload) are stopped with SIGSTOP meanwhile and continued after, so their
 * timers (search indexing, sweeps) do not run on the CPUs the ceiling measures.
 * @throws when the ceiling's process exits non-zero.
 */
export async function durableCeiling(t: Timing, paused: number[] = []): Promise<Measurements> {
  const script = join(import.meta.dir, "../lib/durable-ceiling.ts");
  return whilePaused(paused, async () => {
    const p = Bun.spawn([process.execPath, script, tempHome(), String(t.warmupMs), String(t.measureMs)], { stdout: "pipe", stderr: "inherit" });
    const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
    if (code !== 0) throw new Error(`the durable ceiling exited ${code}`);
    return { ceiling: (JSON.parse(out) as { rows_per_s: number }).rows_per_s };
  });
}
