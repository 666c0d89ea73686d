/**
 * A broker killed (-9) mid-stream (docs/cluster.md#4-failure-cases): nothing
 * acknowledged is lost and nothing arrives twice, whether the sender's broker
 * dies (its outbox is published after the restart) or the recipient's (what
 * it committed but had not acked is redelivered and dropped by origin id, and
 * what was in flight comes first again: order holds).
 */
import { afterEach, describe, expect, test } from "bun:test";
import { natsCluster, natsSkip } from "../helpers/nats.ts";
import { type BrokerProcess, ipcEnv, type IpcEnv, startBrokerProcess } from "../helpers/processes.ts";
import { type RawClient, registered } from "../helpers/raw.ts";
import { collect, joined, clusterEnv, spaceKeyFile } from "../helpers/cluster-clients.ts";

/** The space key of this file's brokers (docs/security.md#the-cluster-nats). */
const SPACE_KEY = spaceKeyFile();

const cleanups: Array<() => PromiseLike<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function broker(e: IpcEnv): Promise<BrokerProcess> {
  const p = await startBrokerProcess(e);
  cleanups.push(async () => {
    if (p.proc.exitCode === null && p.proc.signalCode === null) await p.stop();
  });
  return p;
}

/** Pipelines `n` sends from `from` to `to` (ids from `first`), returning how many were acknowledged before the connection broke. */
async function pipeline(from: RawClient, to: string, first: number, n: number): Promise<number> {
  for (let i = first; i < first + n; i++) from.send({ id: i, op: "send", to, content: `m${i}` });
  const replies = await from.frames(n, 20_000).catch(() => []);
  return replies.filter((r: any) => r.ok === true).length;
}

describe.skipIf(natsSkip !== null)("a broker killed mid-stream", () => {
  test("the recipient's broker: every acknowledged message arrives once after its restart", async () => {
    const nats = await natsCluster(3);
    cleanups.push(() => nats[Symbol.asyncDispose]());
    const a = ipcEnv(clusterEnv(nats.urls, "rk", SPACE_KEY));
    const b = ipcEnv(clusterEnv(nats.urls, "rk", SPACE_KEY));
    await broker(a);
    const pb = await broker(b);
    await joined(a.port);
    await joined(b.port);
    await using alice = await registered(a.port, "alice");
    const bob1 = await registered(b.port, "bob");
    await joined(a.port, 2);
    // B consumes the first 300; then it freezes, so what NATS hands it of the next 500 is in flight
    // (received, never committed) when it is killed.
    expect(await pipeline(alice, "bob", 0, 300)).toBe(300);
    for (let i = 0; i < 300 && (await bob1.call({ id: 1_000_000 + i, op: "whoami" })).unread < 300; i++) await Bun.sleep(20);
    pb.proc.kill("SIGSTOP");
    expect(await pipeline(alice, "bob", 300, 500)).toBe(500); // A acknowledges from its own store: B's state does not matter
    await Bun.sleep(300);
    await pb.kill();
    bob1.close();
    await broker(b);
    await using bob = await registered(b.port, "bob");
    // Mail sent after the restart comes after what was in flight at the crash.
    expect(await pipeline(alice, "bob", 800, 100)).toBe(100);
    const got = await collect(bob, 900);
    expect(new Set(got).size).toBe(got.length);
    // All of them, in order: those in flight at the crash come first again (the restarted broker makes its consumer anew).
    expect(got).toEqual(Array.from({ length: 900 }, (_, i) => `m${i}`));
  }, 120_000);

  test("the sender's broker: its acknowledged outbox is published after its restart", async () => {
    const nats = await natsCluster(3);
    cleanups.push(() => nats[Symbol.asyncDispose]());
    const a = ipcEnv(clusterEnv(nats.urls, "sk", SPACE_KEY));
    const b = ipcEnv(clusterEnv(nats.urls, "sk", SPACE_KEY));
    const pa = await broker(a);
    await broker(b);
    await joined(a.port);
    await joined(b.port);
    const alice = await registered(a.port, "alice");
    await using bob = await registered(b.port, "bob");
    await joined(a.port, 2);
    const acked = await pipeline(alice, "bob", 0, 500);
    await pa.kill(); // right after the acknowledgements: much is still in A's outbox
    alice.close();
    expect(acked).toBe(500);
    await broker(a);
    const got = await collect(bob, 500);
    expect(new Set(got).size).toBe(got.length);
    expect(got).toEqual(Array.from({ length: 500 }, (_, i) => `m${i}`));
  }, 120_000);
});
