/**
 * Finding a broker, and starting one when there is none (docs/design.md#3-broker): the
 * client spawns its own executable as `ipc serve` in a detached process (its
 * own process group, output to $IPC_HOME/broker.log), so the broker outlives
 * whoever started it, then waits until it answers.
 */
import { closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { type Config, paths } from "../config.ts";
import { readLock } from "../home/files.ts";
import { assertOwnHome } from "../home/owner.ts";
import { IpcError } from "../protocol/errors.ts";
import type { ResultOf } from "../protocol/responses.ts";
import { readJoined } from "../remote/joined.ts";
import { MachineRefused } from "../remote/authenticate.ts";
import { BrokerClient, describeEndpoint, type Endpoint, FingerprintMismatch, TlsListenerError } from "./broker-client.ts";
import { authenticateBroker, type Trust, UntrustedBroker, untrusted } from "./trust.ts";

/**
 * How long a client keeps trying a joined remote broker that does not answer
 * (ms): long enough for that broker to restart (it starts within SPAWN_WAIT_MS
 * on its own machine), then the error. Attempts back off from 250 ms to 1 s.
 */
export const REMOTE_WAIT_MS = 10_000;

/** How long a client waits for a broker it started (ms). */
export const SPAWN_WAIT_MS = 5_000;

/** A connected, mutually authenticated client plus what the broker said in `hello`. */
export interface Connected {
  client: BrokerClient;
  hello: ResultOf<"hello">;
  /** How the broker was authenticated (src/client/trust.ts). */
  trust: Trust;
}

/**
 * Endpoints to try, best first: a joined remote broker's TLS listener (`ipc join`) only;
 * else the broker's Unix socket when it serves this port, then TCP.
 */
export function endpoints(config: Config): Endpoint[] {
  const joined = readJoined(config);
  if (joined !== null) return [{ kind: "tls", host: joined.host, port: joined.port, fingerprint: joined.fingerprint }];
  if (!config.tcp) return config.socketPath === null ? [] : [{ kind: "unix", path: config.socketPath }];
  const tcp: Endpoint = { kind: "tcp", host: config.host, port: config.port };
  const lock = readLock(paths.lock(config));
  if (config.socketPath !== null && lock?.socket === config.socketPath && lock.port === config.port && existsSync(config.socketPath)) {
    return [{ kind: "unix", path: config.socketPath }, tcp];
  }
  return [tcp];
}

/**
 * Connects to the first endpoint that answers and authenticates it (src/client/trust.ts); null when none answers.
 * @throws UntrustedBroker when something answers but is not this IPC_HOME's broker (never falls back to another endpoint).
 * @throws IpcError with the broker's own reason when a broker refused the connection (RATE_LIMITED: at a connection cap).
 */
async function tryConnect(config: Config): Promise<Connected | null> {
  let refusal: IpcError | null = null;
  for (const e of endpoints(config)) {
    let client: BrokerClient;
    try {
      client = await BrokerClient.connect(e, e.kind === "tls" ? 10_000 : undefined);
    } catch (err) {
      if (err instanceof FingerprintMismatch) throw err;
      continue;
    }
    client.maxFrameBytes = config.limits.maxFrameBytes;
    try {
      return { client, ...(await authenticateBroker(client, e, config)) };
    } catch (err) {
      client.close();
      if (err instanceof UntrustedBroker || err instanceof MachineRefused || err instanceof TlsListenerError) throw err;
      if (err instanceof IpcError && err.code === "RATE_LIMITED") {
        // A broker answered and said why it cannot take this connection: that, not "no broker", is the error.
        refusal ??= new IpcError(err.code, `the broker at ${describeEndpoint(e)} refused the connection: ${err.message}`, undefined, err.retryAfterMs);
        continue;
      }
      // Closed on us (a broker stopping): try the next endpoint, then maybe start one.
      if (err instanceof IpcError && err.code === "NO_BROKER") continue;
      throw untrusted(e, `is not an ipc broker (${(err as Error).message})`, null);
    }
  }
  if (refusal !== null) throw refusal;
  return null;
}

/**
 * Connects to the broker of `config`, starting one if none answers and spawning is allowed.
 * @throws IpcError NO_BROKER (exit code 3) when no broker can be reached.
 */
export async function connectBroker(config: Config, spawn = !config.noSpawn): Promise<Connected> {
  const first = await tryConnect(config);
  if (first) return first;
  const joined = readJoined(config);
  if (joined !== null) {
    // A network drops connections now and then, and a broker restarts: try again, backing off, before giving up.
    const deadline = performance.now() + REMOTE_WAIT_MS;
    for (let delay = 250; performance.now() < deadline; delay = Math.min(delay * 2, 1_000)) {
      await Bun.sleep(Math.min(delay, Math.max(0, deadline - performance.now())));
      const c = await tryConnect(config);
      if (c) return c;
    }
    // Never a local broker in place of the joined one.
    throw new IpcError(
      "NO_BROKER",
      `the remote broker ${describeEndpoint(endpoints(config)[0]!)} that this machine joined does not answer (tried for ${REMOTE_WAIT_MS / 1000} s): check the network and that it runs with --listen; \`ipc leave\` goes back to a local broker`,
    );
  }
  const where = config.tcp ? `${config.host}:${config.port}` : `${config.socketPath}`;
  if (!spawn) {
    const hint = config.noSpawn ? " or drop --no-spawn / IPC_NO_SPAWN" : "";
    throw new IpcError("NO_BROKER", `no broker on ${where} — start one with \`ipc serve --detach\`${hint}`);
  }
  const child = spawnBroker(config);
  const deadline = performance.now() + SPAWN_WAIT_MS;
  let delay = 10;
  while (performance.now() < deadline) {
    await Bun.sleep(delay);
    delay = Math.min(delay * 1.5, 100);
    const c = await tryConnect(config);
    if (c) return c;
    if (child.exitCode !== null && child.exitCode !== 0) break;
  }
  throw new IpcError("NO_BROKER", `started a broker but it did not answer on ${where}; see ${paths.log(config)}`);
}

/** The command line that runs this same program: the compiled binary, or bun + src/main.ts. */
export function selfCommand(): string[] {
  return Bun.isStandaloneExecutable ? [process.execPath] : [process.execPath, join(import.meta.dir, "..", "main.ts")];
}

/**
 * The `ipc serve` arguments a client that found no broker starts one with: where it
 * listens (the rest of the broker's settings come from the environment it inherits).
 */
export function clientServeArgs(config: Config): string[] {
  const args = ["--home", config.home, "--host", config.host, "--port", String(config.port)];
  if (config.socketPath === null) args.push("--socket", "off");
  else args.push("--socket", config.socketPath);
  if (!config.tcp) args.push("--no-tcp");
  if (config.open) args.push("--open");
  const c = config.cluster;
  if (c !== null) {
    args.push("--nats", c.servers.join(","), "--space", c.space, "--space-key", c.keyFile, ...(c.creds === null ? [] : ["--nats-creds", c.creds]));
    if (c.ca !== null) args.push("--nats-ca", c.ca);
    if (c.insecure) args.push("--nats-insecure");
  }
  return args;
}

/**
 * Starts `ipc serve …serveArgs` for `config` as a detached background process logging to
 * broker.log, in this process's folder and environment. `serveArgs` defaults to a client's
 * (clientServeArgs); `ipc serve --detach` passes its own command line, so the broker runs
 * with every setting it was given.
 */
export function spawnBroker(config: Config, serveArgs: string[] = clientServeArgs(config)): { pid: number; readonly exitCode: number | null; exited: Promise<number> } {
  assertOwnHome(config.home);
  mkdirSync(config.home, { recursive: true, mode: 0o700 });
  const log = openSync(paths.log(config), "a", 0o600);
  try {
    const proc = Bun.spawn([...selfCommand(), "serve", ...serveArgs], {
      stdio: ["ignore", log, log],
      detached: true,
    });
    proc.unref();
    return proc;
  } finally {
    closeSync(log);
  }
}
