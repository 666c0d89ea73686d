/**
 * A real NATS JetStream cluster for tests (docs/cluster.md): Debian's
 * nats-server, one or three nodes on loopback ports with temporary storage,
 * stopped and removed by `await using`. Node i can be killed (-9) and started
 * again.
 *
 * Robust on a slow, shared machine: every port is held by a listener of this
 * process until the moment its node is spawned (no other test can take it
 * between the choice and the use), readiness is the server's own word (its
 * monitoring endpoint `/healthz` answers 200, nats-server ≥ 2.7), the deadline
 * is generous (90 s) and bounded, a node that exits while starting is reported
 * with the tail of its log, and a start that lost a port anyway (another
 * process bound it first: "address already in use") is retried with fresh
 * ports, up to 3 times.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Why the cluster tests are skipped, or null when nats-server is on the PATH. */
export const natsSkip: string | null = Bun.which("nats-server") === null ? "nats-server is not installed (apt-get install nats-server): cluster tests skipped" : null;

export interface NatsNode {
  port: number;
  /** Its monitoring port (HTTP, /healthz). */
  monitor: number;
  url: string;
  proc: Bun.Subprocess | null;
  /** Its log file (nats-server -l). */
  log: string;
}

export interface NatsCluster extends AsyncDisposable {
  nodes: NatsNode[];
  /** Every client URL, comma-separated (for --nats / IPC_NATS). */
  urls: string;
  /** The folder holding storage, logs and any config (removed on dispose). */
  dir: string;
  /** SIGKILL node i. */
  kill(i: number): Promise<void>;
  /** Starts node i again (same ports and storage); await it to know it is ready (optional: brokers reconnect anyway). */
  start(i: number): Promise<void>;
}

/** Options of natsCluster. */
export interface NatsOptions {
  /** A nats-server configuration (text) every node loads with -c (accounts, users, TLS…); ports come from the command line, and storage too unless it names a store_dir (one node then). */
  config?: string;
  /** The scheme of the client URLs (tls:// for a config that requires TLS). Default nats. */
  scheme?: "nats" | "tls";
  /** How long a start may take before it fails (ms). Default 90 000. */
  deadlineMs?: number;
}

/** A port bound by this process until `release` (then free for the node that uses it at once). */
interface HeldPort {
  port: number;
  release(): void;
}

/** Binds a free loopback port and keeps it until released. */
function holdPort(): HeldPort {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  return { port: l.port, release: () => l.stop(true) };
}

const ATTEMPTS = 3;

/**
 * Starts `size` JetStream nodes (3: a cluster with routes; 1: a single server)
 * and waits until each says it is healthy.
 * @throws when a node exits or is not healthy within the deadline (its log tail in the message), after ATTEMPTS tries.
 */
export async function natsCluster(size: 1 | 3 = 3, opts: NatsOptions = {}): Promise<NatsCluster> {
  const dir = mkdtempSync(join(tmpdir(), "ipc-nats-"));
  let last: unknown;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    try {
      return await launch(dir, size, opts, attempt);
    } catch (err) {
      last = err;
      if (!String((err as Error).message).includes("address already in use")) break;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw last;
}

async function launch(dir: string, size: number, opts: NatsOptions, attempt: number): Promise<NatsCluster> {
  const deadlineMs = opts.deadlineMs ?? 90_000;
  const conf = opts.config === undefined ? null : join(dir, "nats.conf");
  if (conf !== null) writeFileSync(conf, opts.config!);
  const held = Array.from({ length: size }, () => ({ client: holdPort(), route: holdPort(), monitor: holdPort() }));
  const nodes: NatsNode[] = held.map((h, i) => ({
    port: h.client.port,
    monitor: h.monitor.port,
    url: `${opts.scheme ?? "nats"}://127.0.0.1:${h.client.port}`,
    proc: null,
    log: join(dir, `n${i}.${attempt}.log`),
  }));
  const spawnNode = (i: number) => {
    const node = nodes[i]!;
    const args = ["nats-server", ...(conf === null ? [] : ["-c", conf])];
    // A configuration that names its own store_dir keeps it (nats-server refuses -sd beside it).
    const store = opts.config?.includes("store_dir") ? [] : ["-sd", join(dir, `n${i}`)];
    args.push("-a", "127.0.0.1", "-p", String(node.port), "-m", String(node.monitor), "-js", ...store, "-n", `n${i}`, "-l", node.log);
    if (size > 1) {
      const routes = held.filter((_, j) => j !== i).map((h) => `nats://127.0.0.1:${h.route.port}`).join(",");
      args.push("--cluster_name", "ipc-test", "--cluster", `nats://127.0.0.1:${held[i]!.route.port}`, "--routes", routes);
    }
    node.proc = Bun.spawn(args, { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  };
  const stopAll = async () => {
    for (const n of nodes) {
      n.proc?.kill("SIGKILL");
      await n.proc?.exited;
      n.proc = null;
    }
  };
  try {
    for (let i = 0; i < size; i++) {
      // Each port is let go the moment before its node binds it.
      held[i]!.client.release();
      held[i]!.route.release();
      held[i]!.monitor.release();
      spawnNode(i);
    }
    const deadline = Date.now() + deadlineMs;
    await Promise.all(nodes.map((n) => healthy(n, deadline)));
  } catch (err) {
    for (const h of held) for (const p of [h.client, h.route, h.monitor]) p.release();
    await stopAll();
    throw err;
  }
  return {
    nodes,
    dir,
    urls: nodes.map((n) => n.url).join(","),
    async kill(i) {
      const p = nodes[i]!.proc;
      p?.kill("SIGKILL");
      await p?.exited;
      nodes[i]!.proc = null;
    },
    async start(i) {
      spawnNode(i);
      await healthy(nodes[i]!, Date.now() + deadlineMs);
    },
    async [Symbol.asyncDispose]() {
      await stopAll();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The last lines of a node's log and stderr, for an error message. */
async function tail(n: NatsNode): Promise<string> {
  let text = "";
  try {
    text = readFileSync(n.log, "utf8");
  } catch {
    // no log yet
  }
  const stderr = n.proc?.stderr;
  const err = stderr && typeof stderr !== "number" && n.proc!.exitCode !== null ? await new Response(stderr).text() : "";
  return `${text}\n${err}`.trim().split("\n").slice(-15).join("\n");
}

/**
 * Waits until node `n` answers 200 on its monitoring /healthz (nats-server's
 * own readiness: listening, and JetStream current), polling every 100 ms.
 * @throws when the node exits first or `deadline` (epoch ms) passes, with the tail of its log.
 */
async function healthy(n: NatsNode, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    if (n.proc === null || n.proc.exitCode !== null) {
      throw new Error(`nats-server on port ${n.port} exited while starting:\n${await tail(n)}`);
    }
    const ok = await fetch(`http://127.0.0.1:${n.monitor}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await Bun.sleep(100);
  }
  throw new Error(`nats-server on port ${n.port} was not healthy (GET /healthz on ${n.monitor}) within the deadline:\n${await tail(n)}`);
}

/** A raw NATS client, as an attacker (or an operator) would use one: the connection, JetStream, its manager, and KV buckets by name. */
export interface RawNats extends AsyncDisposable {
  nc: import("@nats-io/transport-node").NatsConnection;
  js: import("@nats-io/jetstream").JetStreamClient;
  jsm: import("@nats-io/jetstream").JetStreamManager;
  /** Opens an existing KV bucket. */
  kv(bucket: string): Promise<import("@nats-io/kv").KV>;
}

/**
 * Connects a raw client from @nats-io to `url` (user/password, and a CA file for TLS, when given).
 * @throws as the NATS client does (e.g. an authorization violation).
 */
export async function rawNats(url: string, opts: { user?: string; pass?: string; ca?: string } = {}): Promise<RawNats> {
  const { connect } = await import("@nats-io/transport-node");
  const { jetstreamManager } = await import("@nats-io/jetstream");
  const { Kvm } = await import("@nats-io/kv");
  const nc = await connect({
    servers: url,
    ...(opts.user !== undefined && { user: opts.user, pass: opts.pass }),
    ...(opts.ca !== undefined && { tls: { caFile: opts.ca } }),
    reconnect: false,
    timeout: 5_000,
  });
  const jsm = await jetstreamManager(nc, { timeout: 5_000 });
  const js = jsm.jetstream();
  return {
    nc,
    js,
    jsm,
    kv: (bucket) => new Kvm(js).open(bucket),
    async [Symbol.asyncDispose]() {
      await nc.close().catch(() => {});
    },
  };
}
