/**
 * The cluster part of the bench alone (`bun bench/cluster-only.ts [--runs=N]`): the cluster.* figures and
 * send.8x32 of a broker on its own (the base of the local ratio), median of N runs (default 3), with the
 * ratio budgets of bench/figures.ts. The full `npm run bench` runs the same workloads among the others.
 */
import { FIGURES, meets } from "./figures.ts";
import { startBroker, tempHome } from "./lib/procs.ts";
import { median } from "./lib/stats.ts";
import { cluster, clusterSkip } from "./workloads/cluster.ts";
import { sends, THROUGHPUT } from "./workloads/sends.ts";
import type { Timing } from "./workloads/types.ts";

if (clusterSkip !== null) {
  console.error(clusterSkip);
  process.exit(0);
}
const runsArg = process.argv.find((a) => a.startsWith("--runs="));
const RUNS = runsArg ? Number(runsArg.slice(7)) : 3;
const timing: Timing = { warmupMs: 500, measureMs: 2_000, samples: 300 };
const got = new Map<string, number[]>();
for (let run = 1; run <= RUNS; run++) {
  console.error(`run ${run}/${RUNS}`);
  const b = await startBroker(tempHome());
  for (const [k, v] of Object.entries(await sends(b.port, timing, THROUGHPUT))) got.set(k, [...(got.get(k) ?? []), v]);
  await b.stop();
  for (const [k, v] of Object.entries(await cluster(timing))) got.set(k, [...(got.get(k) ?? []), v]);
}
const med = (k: string) => median(got.get(k) ?? [NaN]);
for (const f of FIGURES.filter((f) => f.name.startsWith("cluster.") || f.name === "send.8x32")) {
  const m = med(f.name);
  let line = `${f.name.padEnd(26)} ${Math.round(m).toString().padStart(9)} ${f.unit}  (${(got.get(f.name) ?? []).map(Math.round).join(", ")})`;
  if (f.ratioOf !== undefined && got.has(f.ratioOf)) {
    const ratio = m / med(f.ratioOf);
    line += `  ratio to ${f.ratioOf} ${ratio.toFixed(2)}${f.ratioBudget ? ` (budget ${f.ratioBudget.op} ${f.ratioBudget.value}: ${meets(f.ratioBudget, ratio) ? "met" : "NOT MET"})` : ""}`;
  }
  console.log(line);
}
