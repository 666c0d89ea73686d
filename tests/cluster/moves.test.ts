/**
 * Agents and their mail moving between brokers of one cluster
 * (docs/cluster.md#4-failure-cases): a takeover across brokers, unread mail
 * handed over to a name's new home (also from a broker that was killed and
 * comes back), replies across brokers, unread counts of names homed
 * elsewhere in `list`, and future mail to a name no broker has claimed yet.
 * Real brokers (separate IPC_HOMEs) on a real three-node JetStream cluster.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { natsSkip } from "../helpers/nats.ts";
import { type BrokerProcess, type IpcEnv, startBrokerProcess } from "../helpers/processes.ts";
import { RawClient, registered } from "../helpers/raw.ts";
import { brokersOnCluster, type BrokersOnCluster, eventually, joined } from "../helpers/cluster-clients.ts";

let cluster: BrokersOnCluster | undefined;
let a: IpcEnv;
let b: IpcEnv;
let brokerA: BrokerProcess;

/** A session with no seat: held only while its connection is open. */
async function unseated(port: number, name: string, takeover = false): Promise<{ c: RawClient; r: any }> {
  const c = await RawClient.connect(port);
  const r = await c.call({ id: 0, op: "register", name, ...(takeover && { takeover: true }) });
  return { c, r };
}

/** Registers `name` on `port` once no live session elsewhere holds it (bounded). */
async function registerWhenFree(port: number, name: string): Promise<RawClient> {
  return eventually(async () => {
    const { c, r } = await unseated(port, name);
    if (r.ok === true) return c;
    c.close();
    if (r.error.code !== "NAME_TAKEN") throw new Error(JSON.stringify(r));
    return null;
  }, `${name} to be free`, 200);
}

/** Everything `c`'s inbox holds once it holds `n` messages (bounded). */
async function inbox(c: RawClient, n: number, what: string): Promise<any[]> {
  const got: any[] = [];
  await eventually(async () => {
    got.push(...(await c.call({ id: 50, op: "check", limit: 500 })).messages);
    return got.length >= n ? true : null;
  }, what, 200);
  await Bun.sleep(500);
  got.push(...(await c.call({ id: 51, op: "check", limit: 500 })).messages); // a duplicate would show here
  return got;
}

describe.skipIf(natsSkip !== null)("agents moving between brokers", () => {
  beforeAll(async () => {
    cluster = await brokersOnCluster(2, "mv");
    [a, b] = cluster.envs as [IpcEnv, IpcEnv];
    [brokerA] = cluster.procs as [BrokerProcess];
  }, 60_000);

  afterAll(() => cluster?.stop());

  test("a reply crosses brokers as a reply: reply_to names the sender's own message, and the thread shows both", async () => {
    await using alice = await registered(a.port, "alice");
    await using bob = await registered(b.port, "bob");
    await joined(a.port, 2);
    await joined(b.port, 2);
    const sent = await alice.call({ id: 1, op: "send", to: "bob", content: "ship it?" });
    const [question] = await inbox(bob, 1, "alice's question on B");
    expect(question.content).toBe("ship it?");
    expect((await bob.call({ id: 2, op: "send", to: "alice", content: "yes", reply_to: question.id })).ok).toBe(true);
    const [answer] = await inbox(alice, 1, "bob's answer on A");
    expect(answer.content).toBe("yes");
    expect(answer.reply_to).toBe(sent.message_id);
    const thread = await alice.call({ id: 3, op: "thread", message_id: answer.id });
    expect(thread.messages.map((m: any) => m.content)).toEqual(["ship it?", "yes"]);
    // And back again: a reply to the answer points at bob's copy of it on B.
    const again = await alice.call({ id: 4, op: "send", to: "bob", content: "shipping", reply_to: answer.id });
    const [last] = await inbox(bob, 1, "alice's second message on B");
    expect(last.reply_to).not.toBeNull();
    const onB = await bob.call({ id: 5, op: "thread", message_id: last.id });
    expect(onB.messages.map((m: any) => m.content)).toEqual(["ship it?", "yes", "shipping"]);
    expect(again.ok).toBe(true);
  }, 60_000);

  test("list shows the unread count of a name homed on another broker", async () => {
    await using carl = await registered(a.port, "carl");
    await using dana = await registered(b.port, "dana");
    await joined(a.port, 4);
    for (let i = 0; i < 3; i++) expect((await carl.call({ id: 10 + i, op: "send", to: "dana", content: `n${i}` })).ok).toBe(true);
    const seen = await eventually(async () => {
      const d = (await carl.call({ id: 20, op: "list" })).instances.find((i: any) => i.name === "dana");
      return d?.unread === 3 ? d : null;
    }, "dana's unread count on A", 200);
    expect(seen.online).toBe(true);
    await dana.call({ id: 21, op: "check" });
    await eventually(async () => {
      const d = (await carl.call({ id: 22, op: "list" })).instances.find((i: any) => i.name === "dana");
      return d?.unread === 0 ? d : null;
    }, "dana's read inbox on A", 200);
  }, 60_000);

  test("--takeover across brokers: the name moves, its session on the other broker ends, and its unread mail follows it", async () => {
    await using erin = await registered(a.port, "erin");
    const { c: fay1 } = await unseated(a.port, "fay");
    await joined(b.port, 6);
    // Three messages wait unread on A for fay.
    for (let i = 0; i < 3; i++) expect((await erin.call({ id: 30 + i, op: "send", to: "fay", content: `f${i}` })).ok).toBe(true);
    // Without takeover, B refuses: fay is live on A.
    const refused = await unseated(b.port, "fay");
    expect(refused.r.error.code).toBe("NAME_TAKEN");
    expect(refused.r.error.message).toContain("--takeover");
    refused.c.close();
    const { c: fay, r } = await unseated(b.port, "fay", true);
    expect(r.ok).toBe(true);
    // A ends its session of fay…
    await eventually(async () => {
      const w = await fay1.call({ id: 34, op: "whoami" });
      return w.ok === false ? w : null;
    }, "fay's session on A to end").then((w) => expect(w.error.code).toBe("UNAUTHENTICATED"));
    fay1.close();
    // …and hands her unread mail over to B, where it arrives once, in order; new mail from A goes to B too.
    expect((await erin.call({ id: 35, op: "send", to: "fay", content: "f3" })).status).not.toBe("delivered");
    const got = await inbox(fay, 4, "fay's mail on B");
    expect(got.map((m: any) => m.content)).toEqual(["f0", "f1", "f2", "f3"]);
    expect(got.every((m: any) => m.from === "erin")).toBe(true);
    fay.close();
  }, 60_000);

  test("a broker killed with unread mail: the agent moves to another broker, and the mail follows once the dead broker is back", async () => {
    await using gus = await registered(b.port, "gus");
    const { c: hana1 } = await unseated(a.port, "hana");
    await joined(b.port, 8);
    // hana's mail: some sent on A itself (local), some from B (committed into A's store from the stream).
    const local = await registered(a.port, "ike");
    for (let i = 0; i < 2; i++) expect((await local.call({ id: 40 + i, op: "send", to: "hana", content: `local${i}` })).ok).toBe(true);
    for (let i = 0; i < 2; i++) expect((await gus.call({ id: 42 + i, op: "send", to: "hana", content: `remote${i}` })).ok).toBe(true);
    await eventually(async () => ((await hana1.call({ id: 44, op: "whoami" })).unread === 4 ? true : null), "hana's 4 unread on A");
    await brokerA.kill();
    hana1.close();
    local.close();
    // hana moves to B (once A's heartbeat is stale, or at once with --takeover) and gets new mail there.
    const { c: hana, r } = await unseated(b.port, "hana", true);
    expect(r.ok).toBe(true);
    expect((await gus.call({ id: 45, op: "send", to: "hana", content: "after" })).ok).toBe(true);
    expect((await inbox(hana, 1, "new mail on B")).map((m: any) => m.content)).toEqual(["after"]);
    // A comes back, sees hana lives on B, and hands her four messages over.
    brokerA = await startBrokerProcess(a);
    cluster!.procs.push(brokerA); // stopped with the others
    const got = await inbox(hana, 4, "the mail A held");
    expect(got.map((m: any) => m.content).sort()).toEqual(["local0", "local1", "remote0", "remote1"]);
    expect(got.filter((m: any) => m.from === "ike").map((m: any) => m.content)).toEqual(["local0", "local1"]);
    expect(got.filter((m: any) => m.from === "gus").map((m: any) => m.content)).toEqual(["remote0", "remote1"]);
    hana.close();
  }, 90_000);

  test("future mail to a name no broker has claimed waits in the stream and goes to whichever broker claims it", async () => {
    await using jan = await registered(a.port, "jan");
    const r = await jan.call({ id: 60, op: "send", to: "kim", content: "welcome, kim" });
    expect(r.status).toBe("future");
    await Bun.sleep(500);
    await using kim = await registered(b.port, "kim");
    const got = await inbox(kim, 1, "kim's future mail on B");
    expect(got.map((m: any) => [m.from, m.content])).toEqual([["jan", "welcome, kim"]]);
  }, 60_000);
});
