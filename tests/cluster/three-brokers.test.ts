/**
 * Three brokers (separate IPC_HOMEs, real processes) on one three-node
 * JetStream cluster (docs/cluster.md): mail around the ring, a broadcast
 * reaching both other brokers, and an agent moving to another broker taking
 * its mail with it, and a stopped broker releasing its names.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { brokersOnCluster, type BrokersOnCluster, collect, joined } from "../helpers/cluster-clients.ts";
import { natsSkip } from "../helpers/nats.ts";
import type { BrokerProcess, IpcEnv } from "../helpers/processes.ts";
import { RawClient, registered } from "../helpers/raw.ts";

let ring: BrokersOnCluster | undefined;
let envs: IpcEnv[] = [];
let procs: BrokerProcess[] = [];

describe.skipIf(natsSkip !== null)("three brokers on one JetStream cluster", () => {
  beforeAll(async () => {
    ring = await brokersOnCluster(3, "ring");
    ({ envs, procs } = ring);
  }, 60_000);

  afterAll(() => ring?.stop());

  test("mail around the ring, and a broadcast reaching both other brokers", async () => {
    const [a, b, c] = envs as [IpcEnv, IpcEnv, IpcEnv];
    await using ann = await registered(a.port, "ann");
    await using ben = await registered(b.port, "ben");
    await using cat = await registered(c.port, "cat");
    for (const e of envs) await joined(e.port, 3);
    expect((await ann.call({ id: 1, op: "send", to: "ben", content: "a→b" })).status).toBe("queued");
    expect((await ben.call({ id: 1, op: "send", to: "cat", content: "b→c" })).status).toBe("queued");
    expect((await cat.call({ id: 1, op: "send", to: "ann", content: "c→a" })).status).toBe("queued");
    expect(await collect(ben, 1)).toEqual(["a→b"]);
    expect(await collect(cat, 1)).toEqual(["b→c"]);
    expect(await collect(ann, 1)).toEqual(["c→a"]);
    const r = await ann.call({ id: 2, op: "broadcast", content: "to all" });
    expect(r.count).toBe(2);
    expect(await collect(ben, 1)).toEqual(["to all"]);
    expect(await collect(cat, 1)).toEqual(["to all"]);
  }, 120_000);

  test("an agent that moves to another broker gets its new mail there", async () => {
    const [a, b, c] = envs as [IpcEnv, IpcEnv, IpcEnv];
    await using ann = await registered(a.port, "ann2");
    // dan on B, as a host process that is gone: the name is held while the connection is open.
    const gone = { host: "test", pid: 999_999_999 };
    const onB = await RawClient.connect(b.port);
    expect((await onB.call({ id: 1, op: "register", name: "dan", seat: gone })).ok).toBe(true);
    await joined(a.port, 5);
    expect((await ann.call({ id: 1, op: "send", to: "dan", content: "on B" })).status).toBe("queued");
    onB.close();
    // Once B's heartbeat says dan is no longer live there, C may take the name.
    let onC: RawClient | null = null;
    for (let i = 0; i < 60 && onC === null; i++) {
      const x = await RawClient.connect(c.port);
      const r = await x.call({ id: 1, op: "register", name: "dan", seat: gone });
      if (r.ok === true) onC = x;
      else {
        expect(r.error.code).toBe("NAME_TAKEN");
        x.close();
        await Bun.sleep(500);
      }
    }
    expect(onC).not.toBeNull();
    await using dan = onC!;
    // A follows the directory: new mail goes to C.
    for (let i = 0; i < 50; i++) {
      const r = await ann.call({ id: 2, op: "send", to: "dan", content: `on C ${i}` });
      expect(r.ok).toBe(true);
      const got = await dan.call({ id: 3, op: "check", wait: 2 });
      // "on B" may come too, when B had not taken it from the stream before dan moved.
      if (got.messages.some((m: any) => m.content.startsWith("on C "))) return;
    }
    throw new Error("mail to dan never reached broker C");
  }, 120_000);

  test("a broker that stops releases its names at once: another broker may take them", async () => {
    const [a, , c] = envs as [IpcEnv, IpcEnv, IpcEnv];
    const onC = await RawClient.connect(c.port);
    expect((await onC.call({ id: 1, op: "register", name: "eve", seat: { host: "test", pid: 999_999_999 } })).ok).toBe(true);
    await using watcher = await registered(a.port, "watcher");
    for (let i = 0; i < 100; i++) {
      const l = await watcher.call({ id: 2, op: "list" });
      if (l.instances.some((x: any) => x.name === "eve" && x.online)) break;
      await Bun.sleep(100);
    }
    await procs[2]!.stop(); // ipc stop / SIGTERM: the directory says eve is no longer live (not after the 30 s staleness)
    onC.close();
    // Well within the 30 s after which a silent broker's names count as free anyway.
    let r: any;
    for (let i = 0; i < 20; i++) {
      const x = await RawClient.connect(a.port);
      r = await x.call({ id: 1, op: "register", name: "eve", seat: { host: "test", pid: 999_999_998 } });
      x.close();
      if (r.ok === true) break;
      await Bun.sleep(250);
    }
    expect(r.ok).toBe(true);
  }, 60_000);
});
