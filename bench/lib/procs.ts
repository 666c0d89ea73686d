/**
 * Processes the benchmark measures: the broker under test (the compiled
 * binary when dist/ipc exists, else `bun src/main.ts`), the echo server,
 * and the RSS of a pid.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BENCH_SECRET, noteBrokerHome, speaksHello } from "./auth.ts";

export const ROOT = resolve(import.meta.dir, "../..");
const BINARY = join(ROOT, "dist", process.platform === "win32" ? "ipc.exe" : "ipc");

/** The command that runs ipc, and a label for the report. */
export function ipcCommand(): { cmd: string[]; label: string; compiled: boolean } {
  if (existsSync(BINARY)) return { cmd: [BINARY], label: "dist/ipc (compiled)", compiled: true };
  return { cmd: [process.execPath, join(ROOT, "src/main.ts")], label: "bun src/main.ts (not compiled: run `npm run build` first)", compiled: false };
}

/** A free TCP port on loopback. */
export function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = l.port;
  l.stop(true);
  return p;
}

/** Temporary directories made here: removed when the bench exits (a full run copies its 1 000 000-message database several times). */
const temporary: string[] = [];

/**
 * The run's own TMPDIR, removed at exit with everything in it: from the moment
 * this module loads, every temporary file of the run goes there, the bench's
 * own and those of the programs it starts (the wake workloads' Claude Code and
 * Codex homes and projects come from the tests' helpers, which leave their
 * removal to the test runner; they used to stay in /tmp, ~30 per run).
 */
/** The system's temporary directory, for what outlives a run (the --baseline builds, kept per commit). */
export const SYSTEM_TMP = tmpdir();
const RUN_TMP = mkdtempSync(join(SYSTEM_TMP, "ipc-bench-run-"));
process.env.TMPDIR = RUN_TMP;
temporary.push(RUN_TMP);

/** A fresh temporary IPC_HOME (removed at exit). */
export function tempHome(): string {
  const home = mkdtempSync(join(tmpdir(), "ipc-bench-"));
  temporary.push(home);
  return home;
}

/** Environment for a benchmark broker: no rate, registration, inbox or connection limits (they would cap the load), quiet log. */
export function benchEnv(home: string, port: number): Record<string, string> {
  return {
    ...(process.env as Record<string, string>),
    IPC_HOME: home,
    IPC_PORT: String(port),
    IPC_RATE_LIMIT: "0",
    IPC_MAX_UNREAD: "0",
    IPC_MAX_CONNECTIONS: "0",
    // The memory workload holds 1 000 connections that only say hello.
    IPC_MAX_UNAUTH_CONNECTIONS: "0",
    // The fan-out and scale workloads register thousands of names from loopback.
    IPC_REGISTER_PER_CONNECTION: "0",
    IPC_REGISTER_RATE: "0",
    IPC_LOG_LEVEL: "warn",
  };
}

/** Waits until something accepts connections on `port`. */
export async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
      s.end();
      return;
    } catch {
      if (performance.now() > deadline) throw new Error(`nothing listens on ${port}`);
      await Bun.sleep(10);
    }
  }
}

/** A running broker for one measurement. */
export interface BenchBroker {
  port: number;
  home: string;
  pid: number;
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Processes started here and not stopped yet: killed if the bench exits early (an error), so no broker outlives it. */
const running = new Set<{ kill(): void }>();
process.on("exit", () => {
  for (const p of running) p.kill();
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

/**
 * Starts `ipc serve` on a free port for `home` (plus `extra` environment), of
 * `cmd` (default: ipcCommand()). A build other than today's is asked whether it
 * authenticates (an older --baseline may predate the key handshake).
 */
export async function startBroker(home: string, extra: Record<string, string> = {}, cmd?: string[]): Promise<BenchBroker> {
  const port = freePort();
  // Secure by default, as shipped; the shared secret only lets the legacy workload register (ipc clients prove the key).
  const env = { ...benchEnv(home, port), ...extra };
  // A given build (the --baseline comparison) runs without it: builds from before the key handshake would ask every client for it.
  const secret: Record<string, string> = cmd === undefined ? { IPC_SHARED_SECRET: BENCH_SECRET } : {};
  const proc = Bun.spawn([...(cmd ?? ipcCommand().cmd), "serve"], { env: { ...env, ...secret }, stdin: "ignore", stdout: "ignore", stderr: "inherit" });
  running.add(proc);
  await waitForPort(port);
  if (cmd === undefined || (await speaksHello(port))) noteBrokerHome(port, home);
  return {
    port,
    home,
    pid: proc.pid,
    env,
    stop: async () => {
      proc.kill("SIGTERM");
      await proc.exited;
      running.delete(proc);
    },
  };
}

/** Starts a reference server of bench/lib (`script`: the echo server, or the store limit with its directory in `args`) on a free port. */
export async function startEcho(script = "echo-server.ts", args: string[] = []): Promise<{ port: number; pid: number; stop(): Promise<void> }> {
  const port = freePort();
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, script), String(port), ...args], { stdout: "ignore", stderr: "inherit" });
  running.add(proc);
  await waitForPort(port);
  return {
    port,
    pid: proc.pid,
    stop: async () => {
      proc.kill();
      await proc.exited;
      running.delete(proc);
    },
  };
}

/** Resident set size of `pid` in MiB (Linux /proc; elsewhere `ps`). */
export async function rssMiB(pid: number): Promise<number> {
  if (process.platform === "linux") {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return Number(m![1]) / 1024;
  }
  const out = await new Response(Bun.spawn(["ps", "-o", "rss=", "-p", String(pid)]).stdout).text();
  return Number(out.trim()) / 1024;
}

/**
 * CPU time `pid` has used so far (user + system, µs), from /proc/PID/stat
 * (clock ticks, usually 10 ms); null where there is no /proc. What a process
 * spends per request does not grow when other processes load the machine,
 * as its wall-clock throughput does: the --baseline comparison reports both.
 */
export function cpuMicros(pid: number): number | null {
  if (process.platform !== "linux") return null;
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 of proc(5) (utime, stime) are 12 and 13 after the command name and state.
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
}
/** CPU time (user + system, µs) of thread `tid` of `pid` so far (`/proc/PID/task/TID/stat`); null where there is no /proc. */
export function threadCpuMicros(pid: number, tid = pid): number | null {
  if (process.platform !== "linux") return null;
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
}

/** USER_HZ: 100 on every Linux architecture Bun supports. */
const CLOCK_TICKS = 100;

/** True where `taskset` can pin threads (Linux with util-linux). */
export const CAN_PIN = process.platform === "linux" && Bun.which("taskset") !== null;

/**
 * Pins the main thread of each pid to CPU `cpu`, or lets it run anywhere again
 * (null). Only main threads: worker threads (WAL checkpoints, GC) stay free.
 * On a VM, waking a process on another, idle vCPU costs 50–300 µs and varies
 * several-fold from run to run; one-at-a-time latency is measured with client
 * and server sharing a CPU so that it shows the software, not the hypervisor.
 */
export function pinMainThreads(pids: number[], cpu: number | null): void {
  if (!CAN_PIN) return;
  const cpus = cpu === null ? `0-${navigator.hardwareConcurrency - 1}` : String(cpu);
  for (const pid of pids) Bun.spawnSync(["taskset", "-p", "-c", cpus, String(pid)], { stdout: "ignore", stderr: "ignore" });
}

/**
 * Runs `fn` with the processes `pids` stopped (SIGSTOP) and continues them after, however it ends:
 * brokers kept for later workloads, whose timers (search indexing, sweeps) would run on the CPUs a
 * reference measures.
 */
export async function whilePaused<T>(pids: number[], fn: () => Promise<T>): Promise<T> {
  for (const pid of pids) process.kill(pid, "SIGSTOP");
  try {
    return await fn();
  } finally {
    for (const pid of pids) process.kill(pid, "SIGCONT");
  }
}
