/**
 * Faults on a real three-node JetStream cluster (docs/cluster.md#4-failure-cases):
 * a NATS node killed (-9) during a stream of pipelined cross-broker sends, and
 * NATS down altogether for 10 s. Every acknowledged message arrives exactly
 * once, in order per sender→recipient pair; local traffic never stops.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { natsCluster, type NatsCluster, natsSkip } from "../helpers/nats.ts";
import { ipcEnv, type IpcEnv, startBrokerProcess } from "../helpers/processes.ts";
import { registered } from "../helpers/raw.ts";
import { clusterStatus, collect, joined, clusterEnv, spaceKeyFile } from "../helpers/cluster-clients.ts";

/** The space key of this file's brokers (docs/security.md#the-cluster-nats). */
const SPACE_KEY = spaceKeyFile();

const cleanups: Array<() => PromiseLike<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A three-node NATS cluster and two broker processes (A, B) on it in `space`, joined; all stopped after the test. */
async function twoBrokers(space: string): Promise<{ nats: NatsCluster; a: IpcEnv; b: IpcEnv }> {
  const nats = await natsCluster(3);
  cleanups.push(() => nats[Symbol.asyncDispose]());
  const a = ipcEnv(clusterEnv(nats.urls, space, SPACE_KEY));
  const b = ipcEnv(clusterEnv(nats.urls, space, SPACE_KEY));
  const pa = await startBrokerProcess(a);
  cleanups.push(() => pa.stop());
  const pb = await startBrokerProcess(b);
  cleanups.push(() => pb.stop());
  await joined(a.port);
  await joined(b.port);
  return { nats, a, b };
}

describe.skipIf(natsSkip !== null)("faults", () => {
  test("kill -9 of a NATS node during pipelined cross-broker sends: every acknowledged message arrives exactly once, in order", async () => {
    const { nats, a, b } = await twoBrokers("k9");
    await using alice = await registered(a.port, "alice");
    await using bob = await registered(b.port, "bob");
    await joined(a.port, 2);
    const N = 400;
    let acked = 0;
    // Kill the node A publishes through, mid-stream.
    const server = (await clusterStatus(a.port)).server as string;
    const victim = nats.nodes.findIndex((n) => n.url.endsWith(server));
    expect(victim).toBeGreaterThanOrEqual(0);
    for (let i = 0; i < N; i++) {
      if (i === N / 2) await nats.kill(victim);
      alice.send({ id: i, op: "send", to: "bob", content: `m${i}` });
      if (i % 50 === 49) {
        const replies = await alice.frames(50, 20_000);
        acked += replies.filter((r) => r.ok === true).length;
      }
    }
    expect(acked).toBe(N);
    const got = await collect(bob, N);
    const contents = got;
    expect(new Set(contents).size).toBe(contents.length); // no duplicates
    expect(contents).toEqual(Array.from({ length: N }, (_, i) => `m${i}`)); // all, in order
  }, 120_000);

  test("NATS down for 10 s: local traffic continues, cross-broker mail arrives after", async () => {
    const { nats, a, b } = await twoBrokers("down");
    await using alice = await registered(a.port, "alice");
    await using amy = await registered(a.port, "amy");
    await using bob = await registered(b.port, "bob");
    await joined(a.port, 3);
    for (let i = 0; i < 3; i++) await nats.kill(i);
    // Local: answered and delivered while NATS is gone.
    const local = await alice.call({ id: 1, op: "send", to: "amy", content: "local while down" });
    expect(local.ok).toBe(true);
    expect((await amy.call({ id: 2, op: "check" })).messages.map((m: any) => m.content)).toEqual(["local while down"]);
    // Cross-broker: acknowledged (stored in A's outbox), published once NATS is back.
    for (let i = 0; i < 5; i++) expect((await alice.call({ id: 10 + i, op: "send", to: "bob", content: `x${i}` })).ok).toBe(true);
    expect((await clusterStatus(a.port)).outbox).toBeGreaterThan(0);
    await Bun.sleep(10_000);
    await Promise.all([0, 1, 2].map((i) => nats.start(i)));
    const got = await collect(bob, 5);
    expect(got).toEqual(["x0", "x1", "x2", "x3", "x4"]);
    expect((await clusterStatus(a.port)).outbox).toBe(0);
  }, 120_000);
});
