/**
 * `npm run bench`: starts real brokers (the compiled binary when dist/ipc
 * exists) with temporary IPC_HOMEs, runs every workload for a bounded time
 * after a warm-up, repeats it, prints a table (median, min–max, budget,
 * ratio to the machine's own limit measured in the same run) and writes
 * bench/results.json.
 *
 *   npm run bench               full run: 3 repeats, 1 000 000 stored messages (about 16 minutes on 2 cores)
 *   npm run bench -- --quick    smoke run for CI: 1 repeat, short windows, no budgets enforced
 *   npm run bench -- --baseline PATH|REF [--rounds=3] [--all]
 *                               today's build against another (a binary, or a git ref built into a
 *                               temporary folder): the broker workloads, interleaved, `today / baseline`
 *                               per figure (bench/lib/ab.ts); only that, unless --all also runs the rest
 *   npm run bench -- --only ui [--runs=N]
 *                               only the dashboard in Chromium (ui.*, N runs), printed; results.json untouched
 *   npm run bench -- --profile-send [--rounds=3]
 *                               only where the broker's CPU per send goes under send.8x32, stage by stage,
 *                               beside the durable ceiling (bench/lib/profile-send.ts; Linux)
 *   npm run bench -- --cluster-scale [--agents=1000]
 *                               only the cluster at scale: 3 brokers × 1 000 agents sending across brokers
 *                               (bench/workloads/cluster-scale.ts; needs nats-server)
 * The wake figures need the pinned Claude Code and Codex (npm ci) and tmux; without
 * them wake.claude_code, wake.claude_code.inbox and wake.codex are left out, saying why.
 *
 * Each figure group below starts its own broker and records one workload call.
 */
import { binaryStale, freshBinary } from "../build/fresh.ts";
import { cpus, loadavg, totalmem, type as osType, release } from "node:os";
import { join } from "node:path";
import { FIGURES, meets } from "./figures.ts";
import { joinMachine } from "./lib/remote.ts";
import { CAN_PIN, freePort, ipcCommand, pinMainThreads, rssMiB, startBroker, startEcho, tempHome } from "./lib/procs.ts";
import { fmt, median } from "./lib/stats.ts";
import { type AbResult, compare, formatComparison } from "./lib/ab.ts";
import { baselineBuild } from "./lib/baseline.ts";
import { profileSend } from "./lib/profile-send.ts";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { checkOneAtATime, delivered } from "./workloads/check.ts";
import { durableCeiling } from "./workloads/ceiling.ts";
import { storeLimit } from "./workloads/store-limit.ts";
import { coldStart } from "./workloads/cold-start.ts";
import { fanOut } from "./workloads/fan-out.ts";
import { historyBomb } from "./workloads/history-bomb.ts";
import { legacy } from "./workloads/legacy.ts";
import { mcpRoundTrip } from "./workloads/mcp.ts";
import { memory } from "./workloads/memory.ts";
import { push } from "./workloads/push.ts";
import { EIGHT_BY_32, EIGHT_BY_ONE, ONE, sends, THROUGHPUT } from "./workloads/sends.ts";
import { populate, scaleFigures } from "./workloads/scale.ts";
import { homeWith, prefill } from "./workloads/stored.ts";
import { tlsPush, tlsSends } from "./workloads/tls.ts";
import { canMeasureUi, dashboard } from "./workloads/ui.ts";
import { cluster, clusterSkip } from "./workloads/cluster.ts";
import { clusterScale } from "./workloads/cluster-scale.ts";
import type { Measurements, Timing } from "./workloads/types.ts";
import { wakeClaudeCode, wakeClaudeInbox, wakeHook } from "./workloads/wake.ts";
import { wakeCodex, wakeCodexOurs } from "./workloads/wake-codex.ts";

const quick = process.argv.includes("--quick");
/** `--baseline X` or `--baseline=X`. */
function option(name: string): string | null {
  const i = process.argv.indexOf(name);
  if (i !== -1) return process.argv[i + 1] ?? null;
  const eq = process.argv.find((a) => a.startsWith(`${name}=`));
  return eq === undefined ? null : eq.slice(name.length + 1);
}
const baselineArg = option("--baseline");
const roundsArg = option("--rounds");
const runsArg = process.argv.find((a) => a.startsWith("--runs="));
const RUNS = runsArg ? Number(runsArg.slice(7)) : quick ? 1 : 3;
const STORED = quick ? 20_000 : 1_000_000;
const MCP_CALLS = quick ? 200 : 2_000;
const FAN_OUT = { agents: 1_000, rounds: quick ? 3 : 20 };
const SCALE = { names: 10_000, connections: 2_000 };
const timing: Timing = quick ? { warmupMs: 100, measureMs: 300, samples: 20 } : { warmupMs: 500, measureMs: 2_000, samples: 300 };

const collected = new Map<string, number[]>();
function record(m: Measurements): void {
  for (const [k, v] of Object.entries(m)) collected.set(k, [...(collected.get(k) ?? []), v]);
}
function log(s: string): void {
  process.stderr.write(`${s}\n`);
}

/** Runs one-at-a-time workloads with the client's and the server's main threads on CPU 0 (see pinMainThreads). */
async function onOneCpu<T>(serverPid: number, fn: () => Promise<T>): Promise<T> {
  pinMainThreads([process.pid, serverPid], 0);
  try {
    return await fn();
  } finally {
    pinMainThreads([process.pid, serverPid], null);
  }
}

const started = performance.now();
// A dist/ipc older than src/ would measure old code: rebuild it first (a missing one means `bun src/main.ts`).
if (binaryStale()) {
  log("dist/ipc is older than src/: rebuilding it");
  await freshBinary();
}
const ipc = ipcCommand();
const resultsPath = join(import.meta.dir, "results.json");

/** The newest modification time (ms) of the files under src/. */
function newestSource(dir = join(import.meta.dir, "../src")): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Replaces `key` in bench/results.json, keeping the rest (the last full run's figures). */
async function mergeResults(key: string, value: object): Promise<void> {
  let previous: Record<string, unknown> = {};
  if (existsSync(resultsPath)) {
    try {
      previous = JSON.parse(readFileSync(resultsPath, "utf8"));
    } catch {
      previous = {};
    }
  }
  await Bun.write(resultsPath, `${JSON.stringify({ ...previous, [key]: { generated_at: new Date().toISOString(), ...value } }, null, 2)}\n`);
  log(`wrote ${resultsPath} (key "${key}")`);
}

if (process.argv.includes("--profile-send")) {
  await profileSend(roundsArg === null ? 3 : Number(roundsArg), quick ? 1_000 : 4_000, log);
  process.exit(0);
}

if (process.argv.includes("--cluster-scale")) {
  if (clusterSkip !== null) throw new Error(clusterSkip);
  const agents = Number(option("--agents") ?? 1_000);
  const t: Timing = quick ? { warmupMs: 1_000, measureMs: 2_000, samples: 0 } : { warmupMs: 3_000, measureMs: 10_000, samples: 0 };
  const load0 = loadavg()[0]!;
  const m = await clusterScale(agents, t, log);
  const load1 = loadavg()[0]!;
  process.stdout.write(`\n3 brokers × ${fmt(agents)} agents, every agent sending one at a time to one on the next broker (${t.measureMs / 1000} s measured):\n`);
  process.stdout.write(`delivered ${fmt(m["cluster3.delivered"]!)} msgs/s; end to end p50 ${fmt(m["cluster3.e2e.p50"]!, 1)} ms, p99 ${fmt(m["cluster3.e2e.p99"]!, 1)} ms; largest broker RSS ${fmt(m["cluster3.rss.max"]!, 1)} MiB; load average ${load0.toFixed(1)} → ${load1.toFixed(1)}\n`);
  await mergeResults("cluster_scale", { agents_per_broker: agents, brokers: 3, measured_s: t.measureMs / 1000, load_average_1min: [load0, load1], figures: m });
  process.exit(0);
}

let comparison: AbResult | null = null;
if (baselineArg !== null) {
  if (!ipc.compiled) throw new Error("--baseline compares compiled builds: run `npm run build` first");
  const distIpc = ipc.cmd[0]!;
  if (statSync(distIpc).mtimeMs < newestSource()) log(`warning: ${distIpc} is older than src/: run \`npm run build\` to measure today's code`);
  const base = await baselineBuild(baselineArg, log);
  const rounds = roundsArg === null ? 3 : Number(roundsArg);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds ${roundsArg}: give a whole number of rounds, at least 1`);
  const t: Timing = quick ? { warmupMs: 100, measureMs: 300, samples: 20 } : { warmupMs: 500, measureMs: 2_000, samples: 300 };
  comparison = await compare({ cmd: ipc.cmd, label: ipc.label }, base, rounds, t, log);
  process.stdout.write(`\n${formatComparison(comparison)}\n`);
  if (!process.argv.includes("--all")) {
    // Only the comparison ran: keep the figures of the last full run in results.json, replace its baseline section.
    await mergeResults("baseline", comparison);
    process.exit(0);
  }
}
log(`ipc bench (${quick ? "quick" : "full"}): ${RUNS} run(s), broker = ${ipc.label}`);
if (!CAN_PIN) log("taskset is not available: one-at-a-time figures run unpinned");

if (option("--only") === "ui") {
  if (!canMeasureUi()) throw new Error("--only ui needs Chromium (IPC_BENCH_CHROMIUM, default /usr/bin/chromium)");
  const db = prefill(100_000);
  for (let run = 1; run <= RUNS; run++) {
    log(`run ${run}/${RUNS}: dashboard in Chromium (load average ${loadavg()[0]!.toFixed(2)})`);
    const u = await startBroker(homeWith(db), { IPC_UI_PORT: String(freePort()) });
    record(await dashboard(u.port, u.env, timing, quick ? 2 : 5));
    await u.stop();
  }
  for (const [k, v] of collected) process.stdout.write(`${k}: median ${fmt(median(v), 1)} ms (${v.map((x) => fmt(x, 1)).join(", ")})\n`);
  process.exit(0);
}
log(`preparing ${fmt(STORED)} stored messages…`);
const storedDb = prefill(STORED);
const UI_STORED = 100_000;
const uiDb = canMeasureUi() ? prefill(UI_STORED) : null;
if (uiDb === null) log("chromium is not installed: the dashboard figures (ui.*) are skipped");

/** 1-minute load average at the start of each run (the machine's other work: the ratios to references absorb a slower machine, not a busy one). */
const loads: number[] = [];
for (let run = 1; run <= RUNS; run++) {
  loads.push(loadavg()[0]!);
  log(`run ${run}/${RUNS}: echo limit (load average ${loads.at(-1)!.toFixed(2)})`);
  const echo = await startEcho();
  record(await onOneCpu(echo.pid, () => sends(echo.port, timing, [ONE], "echo", false)));
  record(await sends(echo.port, timing, [ONE], "echo.unpinned", false));
  record(await sends(echo.port, timing, THROUGHPUT, "echo", false));
  await echo.stop();

  log(`run ${run}/${RUNS}: empty database`);
  const b = await startBroker(tempHome());
  record(await memory(b.port, b.pid, quick ? 100 : 1000));
  record(await onOneCpu(b.pid, async () => ({
    ...(await sends(b.port, timing, [ONE])),
    ...(await push(b.port, timing)),
    ...(await checkOneAtATime(b.port, timing)),
  })));
  record(await sends(b.port, timing, [ONE], "send.unpinned"));
  record(await sends(b.port, timing, [EIGHT_BY_ONE]));
  // The ceiling right before the sends it judges (this VM's SQLite speed drifts by up to 1.5 × within a minute).
  log(`run ${run}/${RUNS}: durable ceiling (bare SQLite inserts, 256 per commit), send 8 × 32, store limit`);
  record(await durableCeiling(timing, [b.pid]));
  record(await sends(b.port, timing, [EIGHT_BY_32]));
  record(await storeLimit(timing, [b.pid]));
  record(await delivered(b.port, timing));
  record(await legacy(b.port, timing));
  record(await coldStart(b.env, timing));
  record(await wakeHook(b.port, b.env, quick ? 5 : 20));
  record(await wakeCodexOurs(b.port, b.env, quick ? 5 : 20));
  await b.stop();
  const woken = await wakeClaudeCode(5, log);
  if (woken !== null) record(woken);
  const inboxWoken = await wakeClaudeInbox(5, log);
  if (inboxWoken !== null) record(inboxWoken);
  for (const daemon of [false, true]) {
    const wokenCodex = await wakeCodex(5, log, { daemon });
    if (wokenCodex !== null) record(wokenCodex);
  }

  log(`run ${run}/${RUNS}: MCP tool calls over stdio (${fmt(MCP_CALLS)} each)`);
  const m = await startBroker(tempHome());
  record(await mcpRoundTrip(m.env, m.pid, MCP_CALLS));
  await m.stop();

  log(`run ${run}/${RUNS}: fan-out, one broadcast to ${fmt(FAN_OUT.agents)} waiting agents × ${FAN_OUT.rounds}`);
  const f = await startBroker(tempHome());
  record(await fanOut(f.port, FAN_OUT.agents, FAN_OUT.rounds));
  await f.stop();

  log(`run ${run}/${RUNS}: scale, ${fmt(SCALE.names)} names, ${fmt(SCALE.connections)} idle connections`);
  const sc = await startBroker(tempHome());
  const population = await populate(sc.port, SCALE.names, SCALE.connections);
  record(await scaleFigures(sc.port, sc.pid, SCALE.names, timing));
  record(await onOneCpu(sc.pid, () => sends(sc.port, timing, [ONE], "scale.send")));
  population.close();
  await sc.stop();

  log(`run ${run}/${RUNS}: TLS listener on loopback, a joined machine`);
  const tlsPort = freePort();
  const t = await startBroker(tempHome(), { IPC_LISTEN: `127.0.0.1:${tlsPort}` });
  await joinMachine(t, tlsPort);
  record(await tlsSends(tlsPort, timing));
  record(await onOneCpu(t.pid, () => tlsPush(tlsPort, timing)));
  await t.stop();

  log(`run ${run}/${RUNS}: history bomb`);
  const hb = await startBroker(tempHome());
  record(await historyBomb(hb.port, hb.pid, timing));
  await hb.stop();

  log(`run ${run}/${RUNS}: ${fmt(STORED)} stored messages`);
  const s = await startBroker(homeWith(storedDb));
  record(await onOneCpu(s.pid, async () => ({
    ...(await sends(s.port, timing, [ONE], "stored.send")),
    ...(await checkOneAtATime(s.port, timing, "stored.check")),
  })));
  record(await sends(s.port, timing, THROUGHPUT, "stored.send"));
  record(await delivered(s.port, timing, "stored.check"));
  record({ "rss.stored": await rssMiB(s.pid) });
  await s.stop();

  log(clusterSkip ?? `run ${run}/${RUNS}: cluster (three NATS nodes, two brokers)`);
  if (clusterSkip === null) record(await cluster(timing));

  if (uiDb !== null) {
    log(`run ${run}/${RUNS}: dashboard in Chromium, ${fmt(UI_STORED)} stored messages, 1 000 agents`);
    const u = await startBroker(homeWith(uiDb), { IPC_UI_PORT: String(freePort()) });
    record(await dashboard(u.port, u.env, timing, quick ? 2 : 5));
    await u.stop();
  }
}

// ---- report ---------------------------------------------------------------------------------
type Row = { name: string; unit: string; median: number; min: number; max: number; values: number[]; budget: string; met: boolean | null; ratio?: { of: string; value: number; perRun: number[]; budget?: string; met: boolean | null } };
const rows: Row[] = [];
for (const f of FIGURES) {
  const values = collected.get(f.name);
  if (!values || values.length === 0) continue;
  const m = median(values);
  const row: Row = {
    name: f.name,
    unit: f.unit,
    median: m,
    min: Math.min(...values),
    max: Math.max(...values),
    values,
    budget: f.budget ? `${f.budget.op} ${fmt(f.budget.value)}` : "",
    met: f.budget ? meets(f.budget, m) : null,
  };
  if (f.ratioOf) {
    const refs = collected.get(f.ratioOf) ?? [];
    const scale = toMicros(f.unit) / toMicros(FIGURES.find((g) => g.name === f.ratioOf)?.unit ?? "");
    const ratio = (m / median(refs)) * scale;
    // Each run's figure over the reference measured in that run (for the "in 3 of 3 runs" budgets), when both were measured every run.
    const perRun = refs.length === values.length ? values.map((v, i) => (v / refs[i]!) * scale) : [];
    // Still reported when the reference was not measured (NaN), but then not judged.
    row.ratio = { of: f.ratioOf, value: ratio, perRun, budget: f.ratioBudget ? `${f.ratioBudget.op} ${f.ratioBudget.value}` : undefined, met: f.ratioBudget && Number.isFinite(ratio) ? meets(f.ratioBudget, ratio) : null };
  }
  rows.push(row);
}

/** A time unit in µs (1 for anything else: ratios of like to like). */
function toMicros(unit: string): number {
  return unit === "ms" ? 1000 : 1;
}

const mark = (met: boolean | null) => (met === null ? "" : met ? "✔" : "✖");
const lines = [
  "| figure | median | min – max | unit | budget | | ratio | ratio budget | |",
  "| --- | ---: | ---: | --- | --- | --- | --- | --- | --- |",
  ...rows.map((r) => {
    const digits = r.unit === "ms" || r.unit === "MiB" ? (r.median < 10 ? 2 : 1) : 0;
    const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
    const perRun = r.ratio && r.ratio.value < 2 && r.ratio.perRun.length > 1 ? ` (runs: ${r.ratio.perRun.map(pct).join(", ")})` : "";
    const ratio = r.ratio ? `${r.ratio.value < 2 ? pct(r.ratio.value) : `${fmt(r.ratio.value, r.ratio.value < 100 ? 1 : 0)} ×`} of ${r.ratio.of}${perRun}` : "";
    return `| ${r.name} | ${fmt(r.median, digits)} | ${fmt(r.min, digits)} – ${fmt(r.max, digits)} | ${r.unit} | ${r.budget} | ${mark(r.met)} | ${ratio} | ${r.ratio?.budget ?? ""} | ${mark(r.ratio?.met ?? null)} |`;
  }),
];
const cpu = cpus();
const machine = {
  cpus: cpu.length,
  cpu_model: cpu[0]?.model ?? "unknown",
  memory_gib: Math.round(totalmem() / 2 ** 30),
  os: `${osType()} ${release()}`,
  bun: Bun.version,
};
process.stdout.write(
  `\n${lines.join("\n")}\n\nMachine: ${machine.cpus} × ${machine.cpu_model}, ${machine.memory_gib} GiB, ${machine.os}, Bun ${machine.bun}; broker: ${ipc.label}; ${RUNS} run(s), ${quick ? "quick" : "full"} mode, ${fmt(STORED)} stored messages; ${((performance.now() - started) / 1000).toFixed(0)} s; load average (1 min) at each run's start: ${loads.map((l) => l.toFixed(1)).join(", ")}.\n`,
);

const budgeted = rows.flatMap((r) => [r.met, r.ratio?.met ?? null]).filter((x) => x !== null);
const results = {
  generated_at: new Date().toISOString(),
  mode: quick ? "quick" : "full",
  runs: RUNS,
  stored_messages: STORED,
  broker: ipc.label,
  pinned: CAN_PIN ? "one-at-a-time workloads (1×1 sends, push, check) run with client and broker main threads on CPU 0" : "no",
  machine,
  load_average_1min: loads,
  seconds: Math.round((performance.now() - started) / 1000),
  budgets_met: `${budgeted.filter(Boolean).length}/${budgeted.length}`,
  figures: rows.flatMap((r) => {
    const spec = FIGURES.find((f) => f.name === r.name)!;
    const main = {
      name: r.name,
      description: spec.description,
      unit: r.unit,
      median: r.median,
      min: r.min,
      max: r.max,
      values: r.values,
      budget: spec.budget ?? null,
      met: r.met,
    };
    if (!r.ratio) return [main];
    return [
      main,
      {
        name: `${r.name}/${r.ratio.of}`,
        description: `${spec.description}, as a fraction of ${r.ratio.of} measured in the same run`,
        unit: "ratio",
        median: r.ratio.value,
        min: r.ratio.perRun.length > 0 ? Math.min(...r.ratio.perRun) : null,
        max: r.ratio.perRun.length > 0 ? Math.max(...r.ratio.perRun) : null,
        values: r.ratio.perRun,
        budget: spec.ratioBudget ?? null,
        met: r.ratio.met,
      },
    ];
  }),
};
const out = resultsPath;
await Bun.write(out, `${JSON.stringify(comparison === null ? results : { ...results, baseline: { generated_at: new Date().toISOString(), ...comparison } }, null, 2)}\n`);
log(`wrote ${out}; budgets met: ${results.budgets_met}`);
