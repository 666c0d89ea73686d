/** The durable ceiling (bench/lib/durable-ceiling.ts), measured in its own process like the echo limit. */
import { join } from "node:path";
import { tempHome } from "../lib/procs.ts";
import type { Measurements, Timing } from "./types.ts";

export async function durableCeiling(t: Timing): Promise<Measurements> {
  const script = join(import.meta.dir, "../lib/durable-ceiling.ts");
  const p = Bun.spawn([process.execPath, script, tempHome(), String(t.warmupMs), String(t.measureMs)], { stdout: "pipe", stderr: "inherit" });
  const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
  if (code !== 0) throw new Error(`the durable ceiling exited ${code}`);
  return { ceiling: (JSON.parse(out) as { rows_per_s: number }).rows_per_s };
}
