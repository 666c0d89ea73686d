/**
 * Two brokers (separate IPC_HOMEs, real processes) on one three-node
 * JetStream cluster (docs/cluster.md): mail both ways, check --wait woken
 * across brokers, one name held on one broker only, broadcast and rename
 * forwarding across.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { natsSkip } from "../helpers/nats.ts";
import { ipc, type IpcEnv } from "../helpers/processes.ts";
import { RawClient, registered } from "../helpers/raw.ts";
import { brokersOnCluster, type BrokersOnCluster, eventually, joined } from "../helpers/cluster-clients.ts";

let cluster: BrokersOnCluster | undefined;
let a: IpcEnv;
let b: IpcEnv;

describe.skipIf(natsSkip !== null)("two brokers on one JetStream cluster", () => {
  beforeAll(async () => {
    cluster = await brokersOnCluster(2, "t1");
    [a, b] = cluster.envs as [IpcEnv, IpcEnv];
  }, 60_000);

  afterAll(() => cluster?.stop());

  test("messages both ways, and check --wait woken across brokers", async () => {
    await using alice = await registered(a.port, "alice");
    await using bob = await registered(b.port, "bob");
    await joined(a.port, 2);
    await joined(b.port, 2);
    // A held check on B, woken by a send on A.
    const held = bob.call({ id: 10, op: "check", wait: 20 });
    const sent = await alice.call({ id: 11, op: "send", to: "bob", content: "hello from A" });
    expect(sent.ok).toBe(true);
    const woke = await held;
    expect(woke.messages.map((m: any) => [m.from, m.content])).toEqual([["alice", "hello from A"]]);
    // And back: B → A, read with a plain check on A.
    expect((await bob.call({ id: 12, op: "send", to: "alice", content: "hi from B" })).ok).toBe(true);
    const got = await eventually(async () => {
      const r = await alice.call({ id: 13, op: "check" });
      return r.messages.length > 0 ? r.messages : null;
    }, "B's reply on A");
    expect(got.map((m: any) => [m.from, m.to, m.content])).toEqual([["bob", "alice", "hi from B"]]);
    // list on A shows bob, homed on B, online.
    const listed = (await alice.call({ id: 15, op: "list" })).instances;
    expect(listed.find((i: any) => i.name === "bob")?.online).toBe(true);
    // A keeps alice's sent copy and her received message: her history has both.
    const h = await alice.call({ id: 14, op: "history" });
    expect(h.messages.map((m: any) => m.content).sort()).toEqual(["hello from A", "hi from B"]);
  }, 60_000);

  test("one name cannot be held on two brokers at once", async () => {
    await using carol = await registered(a.port, "carol");
    await eventually(async () => {
      const c = await RawClient.connect(b.port);
      const r = await c.call({ id: 1, op: "register", name: "carol", seat: { host: "test", pid: 999_999_999 } });
      await c.close();
      return r.ok === false ? r : null;
    }, "NAME_TAKEN on B").then((r) => expect(r.error.code).toBe("NAME_TAKEN"));
    expect((await carol.call({ id: 2, op: "whoami" })).name).toBe("carol");
  }, 60_000);

  test("the same name registered on both brokers at the same moment: exactly one wins, the other is answered NAME_TAKEN", async () => {
    for (let i = 0; i < 5; i++) {
      const name = `race${i}`;
      const [ca, cb] = await Promise.all([RawClient.connect(a.port), RawClient.connect(b.port)]);
      const seat = { host: "test", pid: process.pid };
      const [ra, rb] = await Promise.all([ca.call({ id: 1, op: "register", name, seat }), cb.call({ id: 1, op: "register", name, seat })]);
      const winners = [ra, rb].filter((r) => r.ok === true);
      expect(winners).toHaveLength(1);
      expect([ra, rb].find((r) => r.ok !== true).error.code).toBe("NAME_TAKEN");
      // The winner keeps its session.
      const winner = ra.ok === true ? ca : cb;
      expect((await winner.call({ id: 2, op: "whoami" })).name).toBe(name);
      ca.close();
      cb.close();
    }
  }, 60_000);

  test("broadcast reaches agents on the other broker", async () => {
    await using dave = await registered(a.port, "dave");
    await using erin = await registered(b.port, "erin");
    // A broadcast reaches the names A's directory holds: wait until erin's entry is there.
    await eventually(async () => ((await dave.call({ id: 2, op: "list" })).instances.some((i: any) => i.name === "erin") ? true : null), "erin in A's directory");
    const r = await dave.call({ id: 3, op: "broadcast", content: "all hands" });
    expect(r.ok).toBe(true);
    const got = await eventually(async () => {
      const x = await erin.call({ id: 4, op: "check", from: "dave" });
      return x.messages.length > 0 ? x.messages : null;
    }, "the broadcast on B");
    expect(got.map((m: any) => [m.kind, m.content])).toEqual([["broadcast", "all hands"]]);
  }, 60_000);

  test("rename on one broker forwards mail sent from the other", async () => {
    await using frank = await registered(b.port, "frank");
    await using gina = await registered(a.port, "gina");
    await joined(a.port, 7);
    expect((await frank.call({ id: 5, op: "rename", new_name: "francis" })).ok).toBe(true);
    // Once A has seen the forwarding, mail to frank goes to francis.
    const r = await eventually(async () => {
      const x = await gina.call({ id: 6, op: "send", to: "frank", content: "still there?" });
      return x.to === "francis" ? x : null;
    }, "A to follow the rename");
    expect(r.status).toBe("forwarded");
    const got = await eventually(async () => {
      const x = await frank.call({ id: 7, op: "check", from: "gina" });
      return x.messages.length > 0 ? x.messages : null;
    }, "the forwarded message on B");
    expect(got[0].to).toBe("francis");
    expect(got.every((m: any) => m.content === "still there?")).toBe(true);
  }, 60_000);

  test("ipc doctor shows the cluster: --nats-insecure (these tests' open NATS), space, stream, replicas and lag", async () => {
    const r = await ipc(a, ["doctor", "--json"]);
    const findings = JSON.parse(r.stdout).findings.filter((f: any) => f.check === "cluster");
    expect(findings.map((f: any) => f.status)).toEqual(["warn", "ok", "ok"]);
    expect(findings[0].message).toContain("--nats-insecure");
    expect(findings[0].fix).toContain("docs/cluster.md#a-secure-setup");
    expect(findings[1].message).toContain("space t1");
    expect(findings[1].message).toContain("stream IPC_t1 (R3)");
    expect(findings[2].message).toMatch(/^lag: 0 cross-broker messages in this broker's outbox/);
  }, 30_000);

  test("ipc status shows the cluster membership: space, node, NATS server, stream", async () => {
    const r = await ipc(a, ["status"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\n {2}cluster {3}space t1 as node \S+, on NATS 127\.0\.0\.1:\d+; stream IPC_t1 \(R3\); \d+ names cluster-wide, \d+ homed here; 0 in the outbox/);
  }, 30_000);

  test("a large message crosses brokers whole; one too large for NATS is refused at send, saying what to do", async () => {
    await using hal = await registered(a.port, "hal");
    await using ivy = await registered(b.port, "ivy");
    await joined(a.port, 10);
    const big = "x".repeat(200_000);
    expect((await hal.call({ id: 1, op: "send", to: "ivy", content: big })).ok).toBe(true);
    const got = await eventually(async () => {
      const x = await ivy.call({ id: 2, op: "check", from: "hal" });
      return x.messages.length > 0 ? x.messages : null;
    }, "the large message on B");
    const whole = await ivy.call({ id: 3, op: "read", message_id: got[0].id });
    expect(whole.message.content).toBe(big);
    const tooBig = await hal.call({ id: 4, op: "send", to: "ivy", content: "y".repeat(1_045_000) });
    expect(tooBig.ok).toBe(false);
    expect(tooBig.error.code).toBe("TOO_LARGE");
    expect(tooBig.error.message).toContain("share a file path");
  }, 60_000);
});
