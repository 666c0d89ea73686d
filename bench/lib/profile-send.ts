/**
 * Where the broker's time per send goes under send.8x32 (issue 25), next to the
 * durable ceiling measured just before: `npm run bench -- --profile-send [--rounds=N]`.
 *
 * Each round runs the durable ceiling (bench/lib/durable-ceiling.ts: rows/s and its
 * loop thread's CPU time per row), then a broker from src/ under Bun's sampling CPU
 * profiler (`bun --cpu-prof`, one sample per 100 µs of JavaScript, native calls
 * included) driven by the unchanged 8 × 32 load, and reads the broker main thread's
 * CPU time over the measured window (/proc). The profile's samples are sorted into the
 * stages below by the first matching frame from the leaf up, and each stage's share of
 * the send path's samples is applied to the main thread's CPU time per send (µs).
 *
 * What the shares cannot see: time outside JavaScript on the main thread (the event
 * loop's own polling and socket reads are not sampled, so they are spread over the
 * stages), and the broker's other threads (WAL checkpoints, GC helpers, JIT), printed
 * apart as `other threads`. Linux only (/proc).
 */
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { runLoad } from "./load.ts";
import { cpuMicros, ROOT, startBroker, tempHome, threadCpuMicros } from "./procs.ts";
import { sendFrame } from "../workloads/sends.ts";

/** A stage of the send path and how to recognise its frames (function name, then file). */
const STAGES: [stage: string, frame: RegExp][] = [
  ["SQLite insert (MessageStore.insertLater and drain)", /^(insert|insertLater|drain) store\/messages\.ts/],
  ["SQLite BEGIN and COMMIT (group commit)", /^#runNoArgs /],
  ["socket writes of the answers (one per connection per commit)", /^write edge\/connection\.ts/],
  ["joining a connection's answers into one write", /^join /],
  ["JSON.parse of each frame", /^parse /],
  ["splitting frames, UTF-8 decoding (FrameDecoder.push)", /^push protocol\/ndjson\.ts/],
  ["quickSend (checking the request)", /^quickSend /],
  ["the answer's JSON (sendAnswerFrame)", /^sendAnswerFrame /],
  ["search index catch-up (500 ms timer)", /^catchUp store\/search\.ts/],
  ["rest of the send path (dispatch, session and rate checks, deliver, group-commit bookkeeping)", /^(data edge\/server\.ts|pump |handleFrame |handleRequest |flush delivery\/)/],
];
const OUTSIDE = "outside the send path (start-up, stop, sweeps)";

interface Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  samples: number[];
}

/** Sample counts per stage of the `.cpuprofile` in `dir`. */
function stageCounts(dir: string): Map<string, number> {
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (file === undefined) throw new Error(`no CPU profile was written in ${dir}`);
  const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const counts = new Map<string, number>();
  const stageOf = new Map<number, string>();
  for (const leaf of profile.samples) {
    let stage = stageOf.get(leaf);
    if (stage === undefined) {
      stage = OUTSIDE;
      find: for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
        const { functionName, url } = byId.get(id)!.callFrame;
        const name = `${functionName || "(anonymous)"} ${url.split("/").slice(-2).join("/")}`;
        for (const [s, re] of STAGES) {
          if (re.test(name)) {
            stage = s;
            break find;
          }
        }
      }
      stageOf.set(leaf, stage);
    }
    counts.set(stage, (counts.get(stage) ?? 0) + 1);
  }
  return counts;
}

/** One round: the ceiling, then the profiled broker under 8 × 32. Returns the report lines. */
async function round(measureMs: number): Promise<string[]> {
  const ceilingProc = Bun.spawn([process.execPath, join(import.meta.dir, "durable-ceiling.ts"), tempHome(), "500", String(measureMs)], { stdout: "pipe", stderr: "inherit" });
  const ceiling = JSON.parse(await new Response(ceilingProc.stdout).text()) as { rows_per_s: number; main_cpu_us_per_row: number | null };
  const dir = mkdtempSync(join(tmpdir(), "ipc-bench-profile-"));
  const b = await startBroker(tempHome(), {}, [process.execPath, "--cpu-prof", "--cpu-prof-interval=100", `--cpu-prof-dir=${dir}`, join(ROOT, "src/main.ts")]);
  // The window: from 200 ms into the measured part to 200 ms before its end.
  let main0 = 0, main1 = 0, all0 = 0, all1 = 0, t0 = 0, t1 = 0;
  const warmupMs = 1_000;
  const window = (async () => {
    await Bun.sleep(warmupMs + 200);
    [main0, all0, t0] = [threadCpuMicros(b.pid)!, cpuMicros(b.pid)!, performance.now()];
    await Bun.sleep(measureMs - 400);
    [main1, all1, t1] = [threadCpuMicros(b.pid)!, cpuMicros(b.pid)!, performance.now()];
  })();
  const load = await runLoad({
    target: { host: "127.0.0.1", port: b.port },
    connections: 8,
    depth: 32,
    frame: (_c, seq) => sendFrame(seq),
    setup: (c) => [`{"id":0,"op":"register","name":"sender${c}"}\n`],
    warmupMs,
    measureMs,
  });
  await window;
  await b.stop();
  const rate = load.count / load.seconds;
  const sends = (rate * (t1 - t0)) / 1000;
  const perSend = (main1 - main0) / sends;
  const counts = stageCounts(dir);
  const total = [...counts.values()].reduce((a, n) => a + n, 0);
  const inPath = total - (counts.get(OUTSIDE) ?? 0);
  const lines = [
    `load average ${loadavg()[0]!.toFixed(1)}: ceiling ${Math.round(ceiling.rows_per_s)} rows/s (${ceiling.main_cpu_us_per_row?.toFixed(2)} µs CPU per row); ` +
      `broker ${Math.round(rate)} sends/s = ${(rate / ceiling.rows_per_s).toFixed(2)} of the ceiling; main thread ${perSend.toFixed(2)} µs CPU per send, ` +
      `busy ${((100 * (main1 - main0)) / ((t1 - t0) * 1000)).toFixed(0)} % of the window; other threads ${((all1 - all0 - (main1 - main0)) / sends).toFixed(2)} µs per send`,
  ];
  for (const [stage, n] of [...counts].sort((a, b) => b[1] - a[1])) {
    if (stage === OUTSIDE) continue;
    lines.push(`  ${((perSend * n) / inPath).toFixed(2).padStart(6)} µs  ${((100 * n) / inPath).toFixed(1).padStart(5)} %  ${stage}`);
  }
  return lines;
}

/** Runs `rounds` rounds and prints each (stderr log, stdout report). */
export async function profileSend(rounds: number, measureMs: number, log: (s: string) => void): Promise<void> {
  if (process.platform !== "linux") throw new Error("--profile-send reads /proc: Linux only");
  for (let r = 1; r <= rounds; r++) {
    log(`profile round ${r}/${rounds}`);
    process.stdout.write(`${(await round(measureMs)).join("\n")}\n\n`);
  }
}
