/**
 * A broker killed (-9) mid-stream (docs/cluster.md#4-failure-cases): nothing
 * acknowledged is lost and nothing arrives twice, whether the sender's broker
 * dies (its outbox is published after the restart) or the recipient's (what
 * it committed but had not acked is redelivered and dropped by origin id).
 */
import { afterEach, describe, expect, test } from "bun:test";
import { natsCluster, natsSkip } from "../helpers/nats.ts";
import { type BrokerProcess, ipcEnv, type IpcEnv, startBrokerProcess } from "../helpers/processes.ts";
import { RawClient, registered } from "../helpers/raw.ts";

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

async function ready(e: IpcEnv, names: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const c = await RawClient.connect(e.port);
    const s = (await c.call({ id: 1, op: "status" })).cluster;
    c.close();
    if (s?.connected && s.names >= names) return;
    await Bun.sleep(100);
  }
  throw new Error(`broker on ${e.port} did not join with ${names} names`);
}

/** Pipelines `n` sends from `from` to `to` (ids from `first`), returning how many were acknowledged before the connection broke. */
async function pipeline(from: RawClient, to: string, first: number, n: number): Promise<number> {
  for (let i = first; i < first + n; i++) from.send({ id: i, op: "send", to, content: `m${i}` });
  const replies = await from.frames(n, 20_000).catch(() => []);
  return replies.filter((r: any) => r.ok === true).length;
}

async function collect(recipient: RawClient, n: number): Promise<string[]> {
  const got: string[] = [];
  let idle = 0;
  for (let id = 100_000; got.length < n && idle < 300; id++) {
    const r = await recipient.call({ id, op: "check", limit: 500 });
    if (!r.ok) throw new Error(JSON.stringify(r));
    if (r.messages.length === 0) {
      idle++;
      await Bun.sleep(100);
    } else {
      idle = 0;
      got.push(...r.messages.map((m: any) => m.content));
    }
  }
  // A moment more: anything arriving twice would show now.
  await Bun.sleep(1_500);
  const late = await recipient.call({ id: 99_999, op: "check", limit: 500 });
  got.push(...late.messages.map((m: any) => m.content));
  return got;
}

describe.skipIf(natsSkip !== null)("a broker killed mid-stream", () => {
  test("the recipient's broker: every acknowledged message arrives once after its restart", async () => {
    const nats = await natsCluster(3);
    cleanups.push(() => nats[Symbol.asyncDispose]());
    const a = ipcEnv({ IPC_NATS: nats.urls, IPC_SPACE: "rk" });
    const b = ipcEnv({ IPC_NATS: nats.urls, IPC_SPACE: "rk" });
    await broker(a);
    const pb = await broker(b);
    await ready(a, 0);
    await ready(b, 0);
    await using alice = await registered(a.port, "alice");
    const bob1 = await registered(b.port, "bob");
    await ready(a, 2);
    let acked = await pipeline(alice, "bob", 0, 300);
    await pb.kill(); // while B consumes
    bob1.close();
    acked += await pipeline(alice, "bob", 300, 300);
    expect(acked).toBe(600); // A acknowledges from its own store: B's death does not matter
    await broker(b);
    await using bob = await registered(b.port, "bob");
    const got = await collect(bob, 600);
    expect(new Set(got).size).toBe(got.length);
    // All of them; messages in flight at the crash are redelivered after the ack wait, so they may come after later ones.
    const byNumber = (x: string, y: string) => Number(x.slice(1)) - Number(y.slice(1));
    expect([...got].sort(byNumber)).toEqual(Array.from({ length: 600 }, (_, i) => `m${i}`));
  }, 120_000);

  test("the sender's broker: its acknowledged outbox is published after its restart", async () => {
    const nats = await natsCluster(3);
    cleanups.push(() => nats[Symbol.asyncDispose]());
    const a = ipcEnv({ IPC_NATS: nats.urls, IPC_SPACE: "sk" });
    const b = ipcEnv({ IPC_NATS: nats.urls, IPC_SPACE: "sk" });
    const pa = await broker(a);
    await broker(b);
    await ready(a, 0);
    await ready(b, 0);
    const alice = await registered(a.port, "alice");
    await using bob = await registered(b.port, "bob");
    await ready(a, 2);
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
