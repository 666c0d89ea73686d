/**
 * `npm test`: runs every tests/**\/*.test.ts, each file in its own `bun test`
 * process (its own HOME and IPC_HOME, tests/preload.ts), several at once.
 * Each file also gets its own TMPDIR, removed when the file ends, so the
 * thousands of temporary homes the tests make never pile up in /tmp.
 *
 *   bun scripts/test.ts [--jobs N] [--cpu N] [--heavy N] [--hosts N] [--no-retry] [--update-timings] [--list] [FILTER…] [-- BUN-TEST-FLAGS…]
 *
 * - FILTER: run only files whose path contains one of them (default: all).
 * - --jobs N: files at once, at most (default: three per CPU, at most 12; env TEST_JOBS).
 * - --cpu N: CPUs the running files may keep busy together, by their recorded
 *   CPU time per second (default: the CPU count; env TEST_CPU). Most files
 *   spend most of their time waiting on real processes, so several share a CPU.
 * - --heavy N: CPU-heavy files at once (default: the CPU count; env TEST_HEAVY).
 * - --hosts N: files that drive a real host CLI in tmux at once (default: 1; env TEST_HOSTS).
 * - --no-retry: a failed file fails the run at once (default: it runs once more, alone, and one that then
 *   passes is reported as flaky with its first output, without failing the run; env TEST_RETRY=0).
 * - --update-timings: record every file's measured duration.
 * - --list: print the files in start order with their expected duration and kind; run nothing.
 *
 * Scheduling: longest file first, by the durations in scripts/test-timings.json
 * (new files get DEFAULT_MS; the runner records new files, and durations that
 * moved by more than a factor of two and 2 s, or all with --update-timings). Files that share a global resource never run at once
 * (see classify). Each file's output is buffered and printed whole when it
 * fails; passing files print one line. The last line is
 * `N passed, N failed, N skipped`; the exit status is 1 on any failure.
 */
import { cpus, tmpdir } from "node:os";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { FileGroups } from "./test-cgroup.ts";

const ROOT = resolve(import.meta.dir, "..");
const TIMINGS = join(ROOT, "scripts", "test-timings.json");
/** CPUs assumed busy for a file with no recorded CPU time. */
const DEFAULT_RATE = 0.5;
/** Duration assumed for a file with no recorded timing (ms): long enough to start it early. */
const DEFAULT_MS = 20_000;
/** A file still running after this long is killed and counted as failed (ms). */
const FILE_DEADLINE_MS = 15 * 60_000;
/** Per-test timeout (ms): integration tests start real brokers and processes. */
const TEST_TIMEOUT_MS = 30_000;

interface Timing {
  /** Wall-clock duration of the file's `bun test` process (ms). */
  ms: number;
  /** CPU time of that process and its waited-for children (ms). */
  cpuMs?: number;
}

/** What a file needs that others may not share; derived from the file and the helpers it imports. */
interface Kind {
  /** CPU-heavy: real host CLIs in tmux, Chromium, nats-server clusters, load and fault scenarios. */
  heavy: boolean;
  /** Drives a real host CLI (Claude Code, Codex, Gemini CLI, OpenCode, Copilot CLI) in tmux: waits on screens with deadlines. */
  host: boolean;
  /** Files with the same lock name run one at a time (e.g. "users": useradd and the repo-path modes). */
  lock: string | null;
}

interface Result {
  file: string;
  code: number | null;
  pass: number;
  fail: number;
  skip: number;
  todo: number;
  ms: number;
  cpuMs: number;
  output: string;
  note: string;
  /** Processes the file left running, killed when it ended (command lines; only with cgroups). */
  leftover: string[];
}

interface Options {
  jobs: number;
  /** CPUs the running files may keep busy together (by their recorded CPU per wall-clock second). */
  cpu: number;
  heavy: number;
  /** Files driving a real host CLI at once. */
  hosts: number;
  updateTimings: boolean;
  list: boolean;
  filters: string[];
  bunFlags: string[];
  /** Run a failed file once more, alone (false with --no-retry or TEST_RETRY=0). */
  retries: boolean;
}

function parseArgs(argv: string[]): Options {
  const n = cpus().length || 2;
  // Files are admitted by their recorded CPU use (--cpu), up to --jobs at once (12 port slots, tests/helpers/ports.ts).
  // Heavy files stay few: real host CLIs (Claude Code, Codex, Gemini CLI, OpenCode) in tmux time out when they
  // share 2 cores with another heavy file; TEST_HEAVY raises it on a bigger machine.
  let jobs = Number(process.env.TEST_JOBS) || Math.min(12, 3 * n);
  let cpu = Number(process.env.TEST_CPU) || n;
  let heavy = Number(process.env.TEST_HEAVY) || n;
  let hosts = Number(process.env.TEST_HOSTS) || 1;
  let updateTimings = false;
  let list = false;
  let retries = process.env.TEST_RETRY !== "0";
  const filters: string[] = [];
  const bunFlags: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      bunFlags.push(...argv.slice(i + 1));
      break;
    } else if (a === "--jobs" || a === "-j") jobs = Number(argv[++i]);
    else if (a.startsWith("--jobs=")) jobs = Number(a.slice(7));
    else if (a === "--cpu") cpu = Number(argv[++i]);
    else if (a.startsWith("--cpu=")) cpu = Number(a.slice(6));
    else if (a === "--hosts") hosts = Number(argv[++i]);
    else if (a.startsWith("--hosts=")) hosts = Number(a.slice(8));
    else if (a === "--heavy") heavy = Number(argv[++i]);
    else if (a.startsWith("--heavy=")) heavy = Number(a.slice(8));
    else if (a === "--update-timings") updateTimings = true;
    else if (a === "--list") list = true;
    else if (a === "--no-retry") retries = false;
    else if (a === "--help" || a === "-h") {
      console.log("usage: bun scripts/test.ts [--jobs N] [--cpu N] [--heavy N] [--hosts N] [--no-retry] [--update-timings] [--list] [FILTER…] [-- BUN-TEST-FLAGS…]");
      process.exit(0);
    } else if (a.startsWith("-")) throw new Error(`unknown option ${a}: bun test's own flags go after --, e.g. npm test -- tests/x -- --bail`);
    else filters.push(a.replace(/^\.\//, ""));
  }
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`--jobs needs a whole number ≥ 1, not ${jobs}`);
  if (!Number.isInteger(heavy) || heavy < 1) throw new Error(`--heavy needs a whole number ≥ 1, not ${heavy}`);
  if (!Number.isInteger(hosts) || hosts < 1) throw new Error(`--hosts needs a whole number ≥ 1, not ${hosts}`);
  if (!(cpu > 0)) throw new Error(`--cpu needs a number > 0, not ${cpu}`);
  return { jobs, cpu, heavy, hosts, updateTimings, list, filters, bunFlags, retries };
}

/** Every test file under tests/, relative to the repository root, sorted. */
function testFiles(filters: string[]): string[] {
  const all = [...new Bun.Glob("tests/**/*.test.ts").scanSync({ cwd: ROOT })].sort();
  return filters.length === 0 ? all : all.filter((f) => filters.some((x) => f.includes(x)));
}

/** The file's text and that of the test helpers and scripts it imports (transitively; not src/), for classify. */
function sourceWithImports(file: string, seen = new Set<string>()): string {
  const path = join(ROOT, file);
  if (seen.has(path) || !existsSync(path) || !/^(tests|scripts)\//.test(file)) return "";
  seen.add(path);
  const text = readFileSync(path, "utf8");
  let all = text;
  for (const m of text.matchAll(/from\s+["'](\.{1,2}\/[^"']+)["']/g)) {
    let dep = join(file, "..", m[1]!);
    if (!dep.endsWith(".ts")) dep += ".ts";
    all += "\n" + sourceWithImports(dep, seen);
  }
  return all;
}

/** Decides a file's Kind from where it lives and what it (or a helper it imports) uses. */
function classify(file: string): Kind {
  const src = sourceWithImports(file);
  const host = /helpers\/(claude-code|codex|gemini|opencode)(\.ts)?["']|"tmux"/.test(src);
  const heavy =
    host ||
    /^tests\/(cluster|reliability)\//.test(file) ||
    /helpers\/(nats|cluster-clients)["']|playwright|chromium/.test(src);
  // Throwaway OS users: useradd/userdel take /etc/passwd's lock, and letOthersReachRepo changes
  // the modes of folders above the repository until its file is done; one such file at a time.
  const lock = /helpers\/users["']|useradd/.test(src) ? "users" : null;
  return { heavy, host, lock };
}

/** CPU time the whole machine has spent busy since boot (ms; /proc/stat, all but idle and iowait), or null off Linux. */
function machineBusyMs(): number | null {
  try {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return ((total - f[3]! - f[4]!) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

function readTimings(): Record<string, Timing> {
  try {
    return JSON.parse(readFileSync(TIMINGS, "utf8")) as Record<string, Timing>;
  } catch {
    return {};
  }
}

/** Records new files' durations, and those that moved by more than a factor of two (all with `all`), so a run seldom dirties the file. */
function writeTimings(old: Record<string, Timing>, results: Result[], all: boolean): void {
  const next: Record<string, Timing> = { ...old };
  let changed = false;
  for (const r of results) {
    const before = old[r.file];
    if (r.code !== 0 && before !== undefined) continue; // a failure or a kill is not a measurement
    const moved = before !== undefined && Math.abs(r.ms - before.ms) > 2_000 && (r.ms > 2 * before.ms || r.ms < before.ms / 2);
    if (all || before === undefined || moved) {
      next[r.file] = { ms: Math.round(r.ms), cpuMs: Math.round(r.cpuMs) };
      changed = true;
    }
  }
  for (const f of Object.keys(next)) if (!existsSync(join(ROOT, f))) (delete next[f], (changed = true));
  if (!changed) return;
  // One file per line, sorted: small diffs when a few durations move.
  const lines = Object.entries(next)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([f, t]) => `  ${JSON.stringify(f)}: ${JSON.stringify(t)}`);
  writeFileSync(TIMINGS, `{\n${lines.join(",\n")}\n}\n`);
}

/** The last "N pass" / "N fail" / "N skip" / "N todo" counts of bun test's summary. */
function counts(output: string): { pass: number; fail: number; skip: number; todo: number } {
  const last = (word: string) => {
    const all = [...output.matchAll(new RegExp(`^\\s*(\\d+) ${word}\\s*$`, "gm"))];
    return all.length ? Number(all.at(-1)![1]) : 0;
  };
  return { pass: last("pass"), fail: last("fail"), skip: last("skip"), todo: last("todo") };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Builds dist/ipc once before the files start, so parallel files never build it at the same time. */
async function buildBinaryIfUsed(files: string[]): Promise<void> {
  if (!files.some((f) => /compiledBinary|helpers\/binary["']/.test(sourceWithImports(f)))) return;
  const { compiledBinary } = await import("../tests/helpers/binary.ts");
  const t = performance.now();
  await compiledBinary();
  console.log(`dist/ipc is up to date (${seconds(performance.now() - t)})`);
}

/** Pids of processes whose command line names this checkout (Linux /proc; empty elsewhere). */
function checkoutProcesses(): Set<number> {
  const pids = new Set<number>();
  try {
    for (const d of readdirSync("/proc")) {
      if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
      try {
        if (readFileSync(`/proc/${d}/cmdline`, "utf8").includes(`${ROOT}/`)) pids.add(Number(d));
      } catch {}
    }
  } catch {}
  return pids;
}

/** The `bun test` processes running now, killed if the runner is interrupted. */
const procs = new Set<Bun.Subprocess>();

/**
 * This run's temporary folder under the system's: one TMPDIR per file inside
 * it, removed when the file ends (and the whole of it when the run ends).
 * Mode 1777 like /tmp, so a throwaway OS user in a multi-user test reaches
 * and uses it exactly as it would /tmp.
 */
let runTmp: string | null = null;
function fileTmpdir(): string {
  if (runTmp === null) {
    runTmp = mkdtempSync(join(tmpdir(), "ipc-suite-"));
    chmodSync(runTmp, 0o1777);
  }
  const dir = mkdtempSync(join(runTmp, "f-"));
  chmodSync(dir, 0o1777);
  return dir;
}
function removeRunTmp(): void {
  if (runTmp !== null) rmSync(runTmp, { recursive: true, force: true });
}

/** Per-file cgroups where the machine allows them (true CPU time, leftovers killed); null elsewhere. */
const groups = FileGroups.open();

async function runFile(file: string, slot: number, bunFlags: string[]): Promise<Result> {
  const started = performance.now();
  const tmp = fileTmpdir();
  const group = groups?.make() ?? null;
  const proc = Bun.spawn([...(group?.prefix ?? []), process.execPath, "test", `--timeout=${TEST_TIMEOUT_MS}`, ...bunFlags, `./${file}`], {
    cwd: ROOT,
    env: { ...process.env, TEST_PORT_SLOT: String(slot), TMPDIR: tmp },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  procs.add(proc);
  let note = "";
  const deadline = setTimeout(() => {
    note = `killed after ${seconds(FILE_DEADLINE_MS)}`;
    proc.kill("SIGKILL");
  }, FILE_DEADLINE_MS);
  // stdout and stderr in one buffer, in the order their chunks arrived (as a terminal would show them).
  const chunks: string[] = [];
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) chunks.push(decoder.decode(chunk, { stream: true }));
  };
  const [, , code] = await Promise.all([drain(proc.stdout), drain(proc.stderr), proc.exited]);
  clearTimeout(deadline);
  procs.delete(proc);
  const ms = performance.now() - started;
  const usage = proc.resourceUsage();
  let cpuMs = usage ? (Number(usage.cpuTime.user) + Number(usage.cpuTime.system)) / 1000 : 0;
  let leftover: string[] = [];
  if (group !== null && groups !== null) ({ cpuMs, leftover } = await groups.finish(group.dir));
  rmSync(tmp, { recursive: true, force: true });
  const output = chunks.join("").replace(/\x1b\[[0-9;]*m/g, "").trimEnd();
  const c = counts(output);
  if (note === "" && code !== 0 && c.fail === 0) note = `exited with status ${code} outside any test`;
  return { file, code: note.startsWith("killed") ? null : code, ...c, ms, cpuMs, output, note, leftover };
}

async function main(): Promise<number> {
  const { jobs, cpu, heavy, hosts, updateTimings, list, filters, bunFlags, retries } = parseArgs(process.argv.slice(2));
  const files = testFiles(filters);
  if (files.length === 0) {
    console.log(`no test files match ${filters.join(" ")}`);
    console.log("0 passed, 1 failed, 0 skipped");
    return 1;
  }
  const timings = readTimings();
  const kinds = new Map(files.map((f) => [f, classify(f)]));
  const expected = (f: string) => timings[f]?.ms ?? DEFAULT_MS;
  /** CPUs a file keeps busy on average while it runs (its cgroup's CPU time / wall time), DEFAULT_RATE when unknown. */
  const rate = (f: string) => {
    const t = timings[f];
    return t?.cpuMs !== undefined && t.ms > 0 ? Math.min(cpu, Math.max(0.05, t.cpuMs / t.ms)) : DEFAULT_RATE;
  };
  const queue = [...files].sort((a, b) => expected(b) - expected(a));
  if (list) {
    for (const f of queue) {
      const k = kinds.get(f)!;
      console.log(`${seconds(expected(f)).padStart(8)} ${rate(f).toFixed(2)} CPU ${k.host ? "host " : k.heavy ? "heavy" : "     "} ${k.lock ?? "     "} ${f}`);
    }
    return 0;
  }
  const before = checkoutProcesses();
  const t0 = performance.now();
  const busy0 = machineBusyMs();
  console.log(`${files.length} test files, up to ${jobs} at once while they keep at most ${cpu} CPUs busy (at most ${heavy} heavy, ${hosts} with a host CLI), longest first`);
  await buildBinaryIfUsed(files);

  const results: Result[] = [];
  const running = new Map<string, number>(); // file -> slot
  const freeSlots = Array.from({ length: jobs }, (_, i) => i);
  let heavyRunning = 0;
  let hostsRunning = 0;
  let load = 0; // the running files' rates added up (CPUs)
  const locks = new Set<string>();
  const children = new Set<Promise<void>>();

  const canStart = (f: string) => {
    const k = kinds.get(f)!;
    if (k.heavy && heavyRunning >= heavy) return false;
    if (k.host && hostsRunning >= hosts) return false;
    if (k.lock && locks.has(k.lock)) return false;
    return running.size === 0 || load + rate(f) <= cpu + 1e-9;
  };

  const stop = () => {
    for (const p of procs) p.kill("SIGTERM");
    removeRunTmp();
    process.exit(130);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);

  while (queue.length > 0 || children.size > 0) {
    while (freeSlots.length > 0) {
      const i = queue.findIndex(canStart);
      if (i < 0) break;
      const [file] = queue.splice(i, 1) as [string];
      const k = kinds.get(file)!;
      const slot = freeSlots.shift()!;
      running.set(file, slot);
      if (k.heavy) heavyRunning++;
      if (k.host) hostsRunning++;
      if (k.lock) locks.add(k.lock);
      const r0 = rate(file);
      load += r0;
      const child: Promise<void> = runFile(file, slot, bunFlags).then((r) => {
        results.push(r);
        running.delete(file);
        freeSlots.push(slot);
        if (k.heavy) heavyRunning--;
        if (k.host) hostsRunning--;
        if (k.lock) locks.delete(k.lock);
        load -= r0;
        children.delete(child);
        const ok = r.code === 0;
        const parts = [`${r.pass} pass`, r.fail ? `${r.fail} fail` : "", r.skip ? `${r.skip} skip` : "", r.note].filter(Boolean);
        console.log(`${ok ? "ok  " : "FAIL"} ${file} (${parts.join(", ")}) ${seconds(r.ms)}`);
      });
      children.add(child);
    }
    if (children.size === 0) break; // nothing can start and nothing runs: cannot happen, but never spin
    await Promise.race(children);
  }

  // A file that failed is run once more, alone, when nothing else runs. One that passes then is reported as
  // flaky (with its first output) but does not fail the run: on 2 cores a real CLI or a broker can miss a
  // deadline when another heavy file shares the CPU. A file that fails twice fails the run.
  const flaky: Result[] = [];
  if (retries) {
    for (const first of results.filter((r) => r.code !== 0).sort((a, b) => a.file.localeCompare(b.file))) {
      console.log(`retry ${first.file}: alone, once`);
      const again = await runFile(first.file, 0, bunFlags);
      const ok = again.code === 0;
      console.log(`${ok ? "ok  " : "FAIL"} ${first.file} (retry: ${again.pass} pass${again.fail ? `, ${again.fail} fail` : ""}) ${seconds(again.ms)}`);
      if (!ok) continue;
      results[results.indexOf(first)] = again;
      flaky.push(first);
    }
  }
  for (const r of flaky) {
    console.log(`\n======== ${r.file}: FLAKY, failed once and passed alone; the first run's output ========`);
    console.log(r.output.split("\n").filter((l) => !l.startsWith("(pass) ")).join("\n"));
  }
  const failed = results.filter((r) => r.code !== 0).sort((a, b) => a.file.localeCompare(b.file));
  for (const r of failed) {
    console.log(`\n======== ${r.file}: output (${r.note || `${r.fail} failed`}) ========`);
    // The failures, their errors and what the file printed; passing tests' lines are left out.
    console.log(r.output.split("\n").filter((l) => !l.startsWith("(pass) ")).join("\n"));
  }
  writeTimings(timings, results, updateTimings);
  removeRunTmp();
  groups?.close();

  const left = results.filter((r) => r.leftover.length > 0);
  for (const r of left) console.log(`\nwarning: ${r.file} left ${r.leftover.length} processes running, killed when it ended: ${r.leftover.join("; ")}`);
  const leaked = [...checkoutProcesses()].filter((p) => !before.has(p));
  if (leaked.length > 0) console.log(`\nwarning: ${leaked.length} processes the tests started still run (pids ${leaked.join(" ")})`);

  const pass = results.reduce((s, r) => s + r.pass, 0);
  const skip = results.reduce((s, r) => s + r.skip + r.todo, 0);
  // A file that died outside any test (crash, hang, error in a hook) counts as one failure.
  const fail = results.reduce((s, r) => s + (r.fail > 0 ? r.fail : r.code !== 0 ? 1 : 0), 0);
  const wall = performance.now() - t0;
  const sum = results.reduce((s, r) => s + r.ms, 0);
  const cpuSum = results.reduce((s, r) => s + r.cpuMs, 0);
  const busy = busy0 === null ? null : (machineBusyMs() ?? busy0) - busy0;
  const machine = busy === null ? "" : `; the machine's ${cpus().length} CPUs were busy ${seconds(busy)} of ${seconds(wall * cpus().length)}`;
  console.log(`\nRan ${pass + fail + skip} tests across ${results.length} files in ${seconds(wall)} (files' own durations add up to ${seconds(sum)}, CPU ${seconds(cpuSum)}${groups ? ", their cgroups'" : ", their own processes'"}${machine}).`);
  const slowest = [...results].sort((a, b) => b.ms - a.ms).slice(0, 5);
  console.log(`Slowest: ${slowest.map((r) => `${r.file} ${seconds(r.ms)}`).join(", ")}`);
  if (flaky.length > 0) console.log(`Flaky files (failed once, passed alone): ${flaky.map((r) => r.file).join(" ")}`);
  if (failed.length > 0) console.log(`Failed files: ${failed.map((r) => r.file).join(" ")}`);
  console.log(`${pass} passed, ${fail} failed, ${skip} skipped`);
  return fail > 0 || failed.length > 0 ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (e) {
  console.error(`scripts/test.ts: ${e instanceof Error ? e.message : String(e)}`);
  console.log("0 passed, 1 failed, 0 skipped");
  process.exitCode = 2;
}
