/**
 * Real processes for integration tests: the `ipc` CLI (compiled binary when
 * IPC_TEST_BIN is set, else `bun src/main.ts`) and brokers on free ports with
 * temporary IPC_HOMEs.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { resolveConfig } from "../../src/config.ts";
import { freePort } from "./ports.ts";
import { noteBrokerHome } from "./raw.ts";

const ROOT = resolve(import.meta.dir, "../..");

/** The command that runs `ipc`. */
export function ipcCommand(): string[] {
  const bin = process.env.IPC_TEST_BIN;
  return bin ? [resolve(ROOT, bin)] : [process.execPath, join(ROOT, "src/main.ts")];
}

/** A temporary IPC_HOME. */
export function tempHome(prefix = "ipc-home-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Environment for one isolated ipc setup. */
export interface IpcEnv {
  home: string;
  port: number;
  env: Record<string, string>;
  /** The command that runs ipc for this setup (default: ipcCommand()). */
  cmd?: string[];
}

/** A fresh IPC_HOME and free port, as environment variables (plus `extra`). */
export function ipcEnv(extra: Record<string, string> = {}): IpcEnv {
  const home = tempHome();
  const port = freePort();
  noteBrokerHome(port, extra.IPC_HOME ?? home);
  return {
    home,
    port,
    env: { ...(process.env as Record<string, string>), IPC_HOME: home, IPC_PORT: String(port), NO_COLOR: "1", ...extra },
  };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `ipc ...args` to completion. */
export async function ipc(e: IpcEnv, args: string[], opts: { stdin?: string; env?: Record<string, string>; cwd?: string } = {}): Promise<RunResult> {
  const proc = Bun.spawn([...(e.cmd ?? ipcCommand()), ...args], {
    env: { ...e.env, ...opts.env },
    ...(opts.cwd !== undefined && { cwd: opts.cwd }),
    stdin: opts.stdin === undefined ? "ignore" : new TextEncoder().encode(opts.stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

/** Runs `ipc ...args --json` and parses stdout; throws with stderr when it fails. */
export async function ipcJson<T = any>(e: IpcEnv, args: string[], opts: { stdin?: string; env?: Record<string, string>; cwd?: string } = {}): Promise<T> {
  const r = await ipc(e, [...args, "--json"], opts);
  if (r.code !== 0) throw new Error(`ipc ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** A broker process in the foreground (`ipc serve`), stopped on dispose. */
export interface BrokerProcess extends AsyncDisposable {
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  /** SIGTERM and wait. */
  stop(): Promise<number>;
  /** SIGKILL and wait. */
  kill(): Promise<number>;
  stderr(): Promise<string>;
}

/** Starts `ipc serve` for `e` and waits until it accepts connections. */
export async function startBrokerProcess(e: IpcEnv, args: string[] = [], env: Record<string, string> = {}): Promise<BrokerProcess> {
  const proc = Bun.spawn([...(e.cmd ?? ipcCommand()), "serve", ...args], {
    env: { ...e.env, ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  await waitForBroker({ ...e.env, ...env }, 10_000, proc);
  const stop = async () => {
    proc.kill("SIGTERM");
    return proc.exited;
  };
  return {
    proc,
    stop,
    kill: async () => {
      proc.kill("SIGKILL");
      return proc.exited;
    },
    stderr: () => new Response(proc.stderr).text(),
    [Symbol.asyncDispose]: async () => {
      if (proc.exitCode === null) await stop();
    },
  };
}

/**
 * Resolves once the broker configured by `env` has finished starting: its TCP
 * port (unless IPC_TCP=off) and its Unix socket (unless off) both accept
 * connections. The TCP bind comes first, so the port alone is not enough.
 * @throws when `proc` exits first or `timeoutMs` passes.
 */
export async function waitForBroker(env: Record<string, string>, timeoutMs = 10_000, proc?: { exitCode: number | null }): Promise<void> {
  const config = resolveConfig({}, env);
  const deadline = performance.now() + timeoutMs;
  if (config.tcp) await waitForPort(config.port, timeoutMs, proc);
  if (config.socketPath === null) return;
  while (performance.now() < deadline) {
    if (proc && proc.exitCode !== null) throw new Error(`process exited with ${proc.exitCode} before listening on ${config.socketPath}`);
    try {
      const s = await Bun.connect({ unix: config.socketPath, socket: { data() {} } });
      s.end();
      return;
    } catch {
      await Bun.sleep(10);
    }
  }
  throw new Error(`nothing listens on ${config.socketPath} after ${timeoutMs} ms`);
}

/** Resolves once something accepts TCP connections on `port`. */
export async function waitForPort(port: number, timeoutMs = 10_000, proc?: { exitCode: number | null }): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (proc && proc.exitCode !== null) throw new Error(`process exited with ${proc.exitCode} before listening on ${port}`);
    try {
      const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
      s.end();
      return;
    } catch {
      await Bun.sleep(20);
    }
  }
  throw new Error(`nothing listens on ${port} after ${timeoutMs} ms`);
}

/** The stand-in host process (tests/helpers/fake-host.ts). */
export const FAKE_HOST = join(ROOT, "tests/helpers/fake-host.ts");

/** `e` whose `ipc` runs under a fresh stand-in host process: another seat than the test runner's (docs/identity.md). */
export function underOwnHost(e: IpcEnv): IpcEnv {
  return { ...e, cmd: [process.execPath, FAKE_HOST, ...(e.cmd ?? ipcCommand())] };
}
