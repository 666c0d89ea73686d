/**
 * The cluster (docs/cluster.md), when nats-server is on the PATH: a real
 * three-node JetStream cluster on loopback and two brokers joined to it.
 *   cluster.send.8x32       sends/s A acknowledges for a recipient on B (8 × 32 pipelined)
 *   cluster.delivered.8x32  the same messages committed into B's store, per second, end to end
 *   cluster.raw.8x32        raw JetStream publishes/s of the same messages (256 in flight), same run
 *   cluster.push.check.p50  send on A → receiver waiting in check on B
 *   cluster.local.send.8x32 sends/s between two agents of one cluster broker (no NATS on the path)
 */
import { clusterEnv, spaceKeyFile } from "../../tests/helpers/cluster-clients.ts";
import { natsCluster } from "../../tests/helpers/nats.ts";
import { Lines } from "../lib/lines.ts";
import { runLoad } from "../lib/load.ts";
import { type BenchBroker, startBroker, tempHome } from "../lib/procs.ts";
import { percentile } from "../lib/stats.ts";
import type { Measurements, Timing } from "./types.ts";

const CONTENT = "bench message payload 0123456789";

/** Why the cluster figures are skipped, or null. */
export const clusterSkip: string | null = Bun.which("nats-server") === null ? "nats-server is not installed: the cluster figures (cluster.*) are skipped" : null;

async function status(port: number): Promise<any> {
  const c = await Lines.open(port);
  const s = await c.call({ id: 1, op: "status" });
  c.close();
  return s;
}

/** Waits (bounded) until `f` holds. */
async function until(what: string, f: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (await f()) return;
    await Bun.sleep(50);
  }
  throw new Error(`cluster bench: timed out waiting for ${what}`);
}

/** Sends 8 × 32 pipelined from `from` to `to` on `port`. */
function load(port: number, to: string, t: Timing) {
  return runLoad({
    target: { host: "127.0.0.1", port },
    connections: 8,
    depth: 32,
    frame: (_c, seq) => `{"id":${seq},"op":"send","to":"${to}","content":"${CONTENT}"}\n`,
    setup: (c) => [`{"id":0,"op":"register","name":"csender${c}"}\n`],
    warmupMs: t.warmupMs,
    measureMs: t.measureMs,
  });
}

export async function cluster(t: Timing): Promise<Measurements> {
  await using nats = await natsCluster(3);
  const extra = clusterEnv(nats.urls, "bench", spaceKeyFile());
  const brokers: BenchBroker[] = [];
  try {
    const a = await startBroker(tempHome(), extra);
    brokers.push(a);
    const b = await startBroker(tempHome(), extra);
    brokers.push(b);
    for (const x of [a, b]) await until("the brokers to join", async () => (await status(x.port)).cluster?.connected === true);
    const sink = await Lines.open(b.port);
    await sink.call({ id: 0, op: "register", name: "csink" });
    const local = await Lines.open(a.port);
    await local.call({ id: 0, op: "register", name: "clocal" });
    await until("A to see csink on B", async () => (await status(a.port)).cluster.names >= 2);
    const out: Measurements = {};

    // Local traffic on a cluster broker, first (an empty store, like send.8x32's broker): two agents of A.
    const l = await load(a.port, "clocal", t);
    if (l.errors > 0) throw new Error(`cluster.local.send.8x32: ${l.errors} error answers`);
    out["cluster.local.send.8x32"] = l.count / l.seconds;

    // Cross-broker: what A acknowledges, and when B has committed all of it.
    const a0 = (await status(a.port)).counts.messages;
    const b0 = (await status(b.port)).counts.messages;
    const t0 = performance.now();
    const r = await load(a.port, "csink", t);
    if (r.errors > 0) throw new Error(`cluster.send.8x32: ${r.errors} error answers`);
    out["cluster.send.8x32"] = r.count / r.seconds;
    const sent = (await status(a.port)).counts.messages - a0;
    await until("B to commit every message", async () => (await status(b.port)).counts.messages - b0 >= sent, 120_000);
    out["cluster.delivered.8x32"] = sent / ((performance.now() - t0) / 1000);

    // Raw JetStream publishes of as many messages of the same size, 256 in flight.
    out["cluster.raw.8x32"] = await rawPublish(nats.urls.split(","), sent);

    // Push across: receiver waiting in check on B, sender on A.
    const pusher = await Lines.open(a.port);
    await pusher.call({ id: 0, op: "register", name: "cpusher" });
    await sink.call({ id: 0, op: "check", limit: 1000 }); // drain what the load left
    const lat: number[] = [];
    for (let i = 0; i < t.samples + 10; i++) {
      sink.write(`{"id":${i + 1},"op":"check","wait":10,"from":"cpusher"}\n{"id":0,"op":"whoami"}\n`);
      await sink.next();
      const s0 = performance.now();
      pusher.write(`{"id":${i + 1},"op":"send","to":"csink","content":"ping ${i}"}\n`);
      await sink.next();
      const s1 = performance.now();
      await pusher.next();
      if (i >= 10) lat.push((s1 - s0) * 1000);
    }
    out["cluster.push.check.p50"] = percentile(lat, 50);
    out["cluster.push.check.p99"] = percentile(lat, 99);
    pusher.close();

    sink.close();
    local.close();
    return out;
  } finally {
    for (const x of brokers) await x.stop();
  }
}

/** Publishes `n` messages (the same bytes as the cross-broker ones) to a fresh R3 stream, 256 in flight; publishes/s. */
async function rawPublish(servers: string[], n: number): Promise<number> {
  const { connect, nanos } = await import("@nats-io/transport-node");
  const { jetstreamManager } = await import("@nats-io/jetstream");
  const nc = await connect({ servers });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "BENCH_RAW", subjects: ["bench.raw"], num_replicas: 3, duplicate_window: nanos(120_000) });
    const js = jsm.jetstream();
    const payload = new TextEncoder().encode(JSON.stringify({ id: "0123456789abcdef.1", from: "csender0", to: "csink", kind: "direct", content: CONTENT, data: null, created_at: Date.now() }));
    const t0 = performance.now();
    const inflight = new Set<Promise<unknown>>();
    for (let i = 0; i < n; i++) {
      const p = js.publish("bench.raw", payload, { msgID: `raw.${i}` }).finally(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= 256) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    return n / ((performance.now() - t0) / 1000);
  } finally {
    await nc.close();
  }
}
