/**
 * Today's build against a baseline build (`npm run bench -- --baseline`),
 * interleaved: each round starts a broker of each build and runs every workload
 * against one (the other stopped meanwhile) and then the other, alternating which goes first
 * (A B, B A, …). A machine that gets busier or quieter during the run then
 * shifts both builds alike, and every figure is printed as the median over
 * the rounds of each round's `today / baseline`, beside the load average (os.loadavg, 1 min,
 * the median of those read before each workload of the round).
 *
 * `.cpu` figures are the broker's CPU time per send (µs, /proc): unlike the
 * throughputs they hardly move when other processes load the machine.
 *
 * Workloads per round (bench/workloads): send 1 × 1 and push with the client's
 * and broker's main threads on CPU 0 (pinned, as in the full run); send 8 × 1
 * and 8 × 32 pipelined, unpinned; and right before today's 8 × 32, both brokers
 * stopped, the durable ceiling (bench/lib/durable-ceiling.ts, today's schema) for
 * today's send.8x32 / ceiling. Both brokers have started (their WAL checkpoint
 * workers too) before the ceiling's heavy writes.
 */
import { loadavg } from "node:os";
import { durableCeiling } from "../workloads/ceiling.ts";
import { push } from "../workloads/push.ts";
import { EIGHT_BY_32, EIGHT_BY_ONE, ONE, sends } from "../workloads/sends.ts";
import type { Measurements, Timing } from "../workloads/types.ts";
import type { Build } from "./baseline.ts";
import { pinMainThreads, startBroker, tempHome } from "./procs.ts";
import { fmt, median } from "./stats.ts";

/** A figure compared: its name, unit, and whether more is better. */
export interface AbFigure {
  name: string;
  unit: string;
  higherIsBetter: boolean;
  /** today / baseline must be at least this (issue 25: today at least matches the baseline), if set. */
  atLeast?: number;
}

/** What is compared, in report order. */
export const AB_FIGURES: AbFigure[] = [
  { name: "send.1x1", unit: "sends/s", higherIsBetter: true, atLeast: 1 },
  { name: "send.1x1.p50", unit: "µs", higherIsBetter: false },
  { name: "send.1x1.p99", unit: "µs", higherIsBetter: false },
  { name: "send.1x1.cpu", unit: "µs CPU", higherIsBetter: false },
  { name: "send.8x1", unit: "sends/s", higherIsBetter: true, atLeast: 1 },
  { name: "send.8x1.p50", unit: "µs", higherIsBetter: false },
  { name: "send.8x1.cpu", unit: "µs CPU", higherIsBetter: false },
  { name: "send.8x32", unit: "sends/s", higherIsBetter: true, atLeast: 1 },
  { name: "send.8x32.p50", unit: "µs", higherIsBetter: false },
  { name: "send.8x32.p99", unit: "µs", higherIsBetter: false },
  { name: "send.8x32.cpu", unit: "µs CPU", higherIsBetter: false },
  { name: "push.check.p50", unit: "µs", higherIsBetter: false },
  { name: "push.check.p99", unit: "µs", higherIsBetter: false },
  { name: "push.subscribe.p50", unit: "µs", higherIsBetter: false },
];

/** One build's figures in one round, with the load average when its turn began. */
interface Turn {
  round: number;
  build: "today" | "baseline";
  load1: number;
  figures: Measurements;
}

/** Per figure: medians over the rounds and their ratio. */
export interface AbRow extends AbFigure {
  today: number;
  baseline: number;
  /** Median over the rounds of today / baseline within each round. */
  ratio: number;
  /** today / baseline within each round (paired). */
  perRound: number[];
  met: boolean | null;
}

export interface AbResult {
  today: string;
  baseline: string;
  rounds: number;
  rows: AbRow[];
  /** Today's send.8x32 over the durable ceiling measured next to it, per round. */
  ceiling: { rows_per_s: number[]; ratio: number[] };
  /** 1-minute load average during each build's turns of each round (median). */
  load: { round: number; build: string; load1: number }[];
  seconds: number;
}

/** Longer than a broker's checkpoint worker may take to start before it gives up on it (2 s). */
const CHECKPOINTER_START_MS = 2_500;

/**
 * The workloads of a round, each run against one broker: pinned (1 × 1, push) or not;
 * `ceiling`: the durable ceiling is measured right before today's turn (send.8x32 / ceiling).
 */
const WORKLOADS: Array<{ pinned: boolean; ceiling?: true; run: (port: number, pid: number, t: Timing) => Promise<Measurements> }> = [
  { pinned: true, run: (port, pid, t) => sends(port, t, [ONE], "send", true, pid) },
  { pinned: true, run: (port, _pid, t) => push(port, t) },
  { pinned: false, run: (port, pid, t) => sends(port, t, [EIGHT_BY_ONE], "send", true, pid) },
  { pinned: false, ceiling: true, run: (port, pid, t) => sends(port, t, [EIGHT_BY_32], "send", true, pid) },
];

/**
 * Runs `rounds` rounds of today's build against `baseline`. Each round starts
 * one broker of each build (fresh homes) and runs every workload against one
 * (the other stopped with SIGSTOP meanwhile), then at once against the other,
 * alternating which goes first, so the two figures of a pair are measured
 * seconds apart under the same load.
 */
export async function compare(today: Build, baseline: Build, rounds: number, t: Timing, log: (s: string) => void): Promise<AbResult> {
  const started = performance.now();
  const turns: Turn[] = [];
  const ceilings: number[] = [];
  let flip = false;
  for (let round = 1; round <= rounds; round++) {
    const brokers = {
      today: await startBroker(tempHome(), {}, today.cmd),
      baseline: await startBroker(tempHome(), {}, baseline.cmd),
    };
    // A broker stopped while its WAL checkpoint worker starts (up to 2 s, src/store/checkpointer.ts) would
    // fall back to checkpoints on its main thread for good: let both finish starting before any SIGSTOP.
    await Bun.sleep(CHECKPOINTER_START_MS);
    const figures: Record<Turn["build"], Measurements> = { today: {}, baseline: {} };
    const loads: Record<Turn["build"], number[]> = { today: [], baseline: [] };
    try {
      for (const w of WORKLOADS) {
        const order: Turn["build"][] = flip ? ["baseline", "today"] : ["today", "baseline"];
        flip = !flip;
        for (const name of order) {
          const b = brokers[name];
          const idle = brokers[name === "today" ? "baseline" : "today"];
          // Seconds before the sends it judges, both brokers stopped: this VM's SQLite speed drifts within a minute.
          if (w.ceiling && name === "today") ceilings.push((await durableCeiling(t, [b.pid, idle.pid])).ceiling!);
          // The idle broker is stopped (SIGSTOP) meanwhile: it would index what it just stored, or sweep, on the shared CPUs.
          process.kill(idle.pid, "SIGSTOP");
          loads[name].push(loadavg()[0]!);
          if (w.pinned) pinMainThreads([process.pid, b.pid], 0);
          try {
            Object.assign(figures[name], await w.run(b.port, b.pid, t));
          } finally {
            if (w.pinned) pinMainThreads([process.pid, b.pid], null);
            process.kill(idle.pid, "SIGCONT");
          }
        }
      }
    } finally {
      await brokers.today.stop();
      await brokers.baseline.stop();
    }
    for (const name of ["today", "baseline"] as const) turns.push({ round, build: name, load1: median(loads[name]), figures: figures[name] });
    log(`baseline round ${round}/${rounds} done (load average ${loadavg()[0]!.toFixed(2)})`);
  }
  const of = (build: Turn["build"], name: string) => turns.filter((x) => x.build === build).map((x) => x.figures[name]!);
  const rows = AB_FIGURES.map((f): AbRow => {
    const a = of("today", f.name);
    const b = of("baseline", f.name);
    const perRound = a.map((v, i) => v / b[i]!);
    // The median of the paired ratios: each pair ran seconds apart, so a load that changes between rounds cancels out.
    const ratio = median(perRound);
    return { ...f, today: median(a), baseline: median(b), ratio, perRound, met: f.atLeast === undefined ? null : ratio >= f.atLeast };
  });
  const sends8x32 = of("today", "send.8x32");
  return {
    today: today.label,
    baseline: baseline.label,
    rounds,
    rows,
    ceiling: { rows_per_s: ceilings, ratio: sends8x32.map((v, i) => v / ceilings[i]!) },
    load: turns.map((x) => ({ round: x.round, build: x.build, load1: x.load1 })),
    seconds: Math.round((performance.now() - started) / 1000),
  };
}

/** The comparison as a Markdown table plus a line on load and the ceiling. */
export function formatComparison(r: AbResult): string {
  const digits = (u: string, v: number) => (u.startsWith("µs") && v < 100 ? 1 : 0);
  const lines = [
    `Today: ${r.today}. Baseline: ${r.baseline}. ${r.rounds} interleaved round(s), medians; ${r.seconds} s.`,
    "",
    "| figure | today | baseline | today / baseline | per round | | |",
    "| --- | ---: | ---: | ---: | --- | --- | --- |",
    ...r.rows.map((x) => {
      const better = x.higherIsBetter ? x.ratio > 1 : x.ratio < 1;
      const verdict = Math.abs(x.ratio - 1) < 0.02 ? "≈" : better ? "better" : "worse";
      const mark = x.met === null ? "" : `${x.met ? "✔" : "✖"} ≥ ${x.atLeast}`;
      return `| ${x.name} (${x.unit}) | ${fmt(x.today, digits(x.unit, x.today))} | ${fmt(x.baseline, digits(x.unit, x.baseline))} | ${x.ratio.toFixed(3)} | ${x.perRound.map((v) => v.toFixed(2)).join(" ")} | ${verdict} | ${mark} |`;
    }),
    "",
    `send.8x32 / ceiling (today): ${r.ceiling.ratio.map((v) => v.toFixed(2)).join(", ")} (ceiling ${r.ceiling.rows_per_s.map((v) => fmt(v)).join(", ")} rows/s)`,
    `load average (1 min) per round and build: ${r.load.map((l) => `${l.round}${l.build === "today" ? "T" : "B"} ${l.load1.toFixed(1)}`).join(", ")}`,
  ];
  return lines.join("\n");
}
