/**
 * The cluster at the size one machine is outgrown (issue 25), when
 * nats-server is on the PATH: a three-node JetStream cluster on loopback,
 * three brokers joined to it, `agents` agents on each (one authenticated,
 * registered, subscribed connection each). Every agent sends, one at a time,
 * to its counterpart on the next broker (broker i's agent k → broker
 * (i + 1) mod 3's agent k), so all traffic crosses brokers.
 *   cluster3.delivered   messages pushed to their receivers per second, all brokers together
 *   cluster3.e2e.p50/p99 send written on one broker → pushed to the receiver on another (ms)
 *   cluster3.rss.max     the largest of the three brokers' RSS after the load (MiB; each is logged)
 * Run with `npm run bench -- --cluster-scale [--agents=1000]` (heavy: 6 processes and 3 000 connections).
 */
import { natsCluster } from "../../tests/helpers/nats.ts";
import { openAgents } from "../lib/agents.ts";
import { Lines } from "../lib/lines.ts";
import { type BenchBroker, rssMiB, startBroker, tempHome } from "../lib/procs.ts";
import { percentile } from "../lib/stats.ts";
import type { Measurements, Timing } from "./types.ts";

const BROKERS = 3;

async function status(port: number): Promise<any> {
  const c = await Lines.open(port);
  const s = await c.call({ id: 1, op: "status" });
  c.close();
  return s;
}

/** Waits (bounded) until `f` holds. */
async function until(what: string, f: () => Promise<boolean>, ms = 120_000): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (await f()) return;
    await Bun.sleep(2_000);
  }
  throw new Error(`cluster-scale bench: timed out waiting for ${what}`);
}

/** Runs the workload; `log` reports progress and each broker's RSS. */
export async function clusterScale(agents: number, t: Timing, log: (s: string) => void): Promise<Measurements> {
  await using nats = await natsCluster(3);
  const extra = { IPC_NATS: nats.urls, IPC_SPACE: "bench3" };
  const brokers: BenchBroker[] = [];
  const all: Lines[][] = [];
  try {
    for (let i = 0; i < BROKERS; i++) brokers.push(await startBroker(tempHome(), extra));
    for (const x of brokers) await until("the brokers to join", async () => (await status(x.port)).cluster?.connected === true);
    for (let i = 0; i < BROKERS; i++) {
      log(`cluster-scale: ${agents} agents on broker ${i + 1}…`);
      all.push(await openAgents(brokers[i]!.port, agents, (k) => `b${i}a${k}`));
    }
    let seen: number[] = [];
    await until(`every broker to see every name (${BROKERS * agents})`, async () => {
      seen = [];
      for (const x of brokers) seen.push((await status(x.port)).cluster?.names ?? 0);
      log(`cluster-scale: names seen per broker ${seen.join(", ")}`);
      return seen.every((n) => n >= BROKERS * agents);
    });
    for (const group of all) await Promise.all(group.map((a) => a.call({ id: 0, op: "subscribe" })));

    let measuring = false;
    let stopped = false;
    let delivered = 0;
    const lat: number[] = [];
    /** Each agent reads its connection: pushed messages (latency from the time in their content) and its own acks. */
    const loops = all.flatMap((group, i) =>
      group.map(async (agent, k) => {
        const to = `b${(i + 1) % BROKERS}a${k}`;
        let acked!: () => void;
        let seq = 0;
        const reader = (async () => {
          for (;;) {
            const line = await agent.next();
            if (line === "") return;
            if (line.startsWith('{"event"')) {
              const m = /"content":"t=([0-9.]+)"/.exec(line);
              if (m && measuring) {
                delivered++;
                lat.push(performance.now() - Number(m[1]));
              }
            } else {
              if (line.includes('"ok":false')) throw new Error(`cluster-scale send failed: ${line.slice(0, 200)}`);
              acked();
            }
          }
        })();
        while (!stopped) {
          const ack = new Promise<void>((r) => (acked = r));
          agent.write(`{"id":${++seq},"op":"send","to":"${to}","content":"t=${performance.now()}"}\n`);
          await ack;
        }
        void reader;
      }),
    );
    await Bun.sleep(t.warmupMs);
    measuring = true;
    const t0 = performance.now();
    await Bun.sleep(t.measureMs);
    measuring = false;
    const seconds = (performance.now() - t0) / 1000;
    stopped = true;
    await Promise.race([Promise.all(loops), Bun.sleep(10_000)]);
    const out: Measurements = {
      "cluster3.delivered": delivered / seconds,
      "cluster3.e2e.p50": percentile(lat, 50),
      "cluster3.e2e.p99": percentile(lat, 99),
    };
    const rss: number[] = [];
    for (const x of brokers) rss.push(await rssMiB(x.pid));
    log(`cluster-scale: broker RSS ${rss.map((r) => `${r.toFixed(1)} MiB`).join(", ")}`);
    out["cluster3.rss.max"] = Math.max(...rss);
    // Logged before the brokers stop: a cluster in trouble can take long to shut down.
    log(`cluster-scale: ${JSON.stringify(out)}`);
    return out;
  } finally {
    for (const group of all) for (const a of group) a.close();
    for (const x of brokers) await x.stop();
  }
}
