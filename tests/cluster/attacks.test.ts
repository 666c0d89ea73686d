/**
 * The cluster's attacks of security round 3a (issue 22, item 8), made as the
 * attacker made them: a raw NATS client from @nats-io on a NATS server that
 * lets anyone in (the opt-out `--nats-insecure`), or a broker of its own with
 * a key that is not the space's. The brokers of the space hold one space key
 * (docs/security.md#the-cluster-nats): every record they publish is signed with it,
 * and whatever fails the signature or the schema is dropped.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { mkdirSync, realpathSync } from "node:fs";
import { brokersOnCluster, type BrokersOnCluster, clusterEnv, clusterStatus, eventually, joined, spaceKeyFile } from "../helpers/cluster-clients.ts";
import { natsSkip, rawNats, type RawNats } from "../helpers/nats.ts";
import { type BrokerProcess, ipcEnv, type IpcEnv, startBrokerProcess, tempHome } from "../helpers/processes.ts";
import { RawClient, registered } from "../helpers/raw.ts";

const SPACE = "atk";
let cluster: BrokersOnCluster & { key: string };
let a: IpcEnv;
let b: IpcEnv;
let mallory: RawNats;

/** Reads `who`'s inbox (check, 100 ms polls, bounded) until a message with content `last` came; every message seen, in order. */
async function readUntil(who: RawClient, last: string, tries = 200): Promise<any[]> {
  const got: any[] = [];
  for (let i = 0; i < tries; i++) {
    const r = await who.call({ id: 1_000 + i, op: "check", limit: 500 });
    if (r.ok !== true) throw new Error(`check failed: ${JSON.stringify(r)}`);
    got.push(...r.messages);
    if (got.some((m) => m.content === last)) return got;
    await Bun.sleep(100);
  }
  throw new Error(`"${last}" never came; got ${JSON.stringify(got.map((m) => m.content))}`);
}

/** A forged stream record, as a sending broker would publish it (a JSON array of messages). */
const forged = (over: Record<string, unknown>) =>
  JSON.stringify([{ id: `deadbeefdeadbeef.${Math.floor(Math.random() * 1e9)}`, from: "bob", to: "alice", kind: "direct", content: "forged", data: null, created_at: Date.now(), ...over }]);

describe.skipIf(natsSkip !== null)("attacks on a cluster through NATS", () => {
  beforeAll(async () => {
    cluster = await brokersOnCluster(2, SPACE, 1);
    [a, b] = cluster.envs as [IpcEnv, IpcEnv];
    mallory = await rawNats(cluster.nats.nodes[0]!.url);
  }, 120_000);

  afterAll(async () => {
    await mallory?.[Symbol.asyncDispose]();
    await cluster?.stop();
  });

  test("mail forged 'from bob', from an invalid name, or with data that is not JSON never reaches alice's inbox, and her check keeps working", async () => {
    await using alice = await registered(a.port, "alice");
    await using bob = await registered(b.port, "bob");
    await joined(a.port, 2);
    await joined(b.port, 2);
    const subject = `ipc.${SPACE}.to.alice`;
    await mallory.js.publish(subject, forged({ content: "forged from bob" }));
    await mallory.js.publish(subject, forged({ from: "Not A Name!", content: "forged from an invalid name" }));
    await mallory.js.publish(subject, forged({ content: "poison", data: "{not json" }));
    await mallory.js.publish(subject, "not even JSON");
    expect((await bob.call({ id: 2, op: "send", to: "alice", content: "the real one" })).ok).toBe(true);
    const got = await readUntil(alice, "the real one");
    expect(got.map((m) => [m.from, m.content])).toEqual([["bob", "the real one"]]);
    // And it stays readable.
    expect((await alice.call({ id: 3, op: "check" })).ok).toBe(true);
  }, 60_000);

  test("an inbox already poisoned (a stored row whose data is not JSON) still reads, after a restart too", async () => {
    const home = tempHome();
    const e = ipcEnv({ IPC_HOME: home });
    let broker: BrokerProcess = await startBrokerProcess(e);
    {
      await using zed = await registered(e.port, "zed");
      expect((await zed.call({ id: 1, op: "send", to: "zed", content: "before" })).ok).toBe(true);
    }
    await broker.stop();
    const db = new Database(join(home, "ipc.db"));
    db.run("INSERT INTO messages (sender, recipient, kind, content, data, created_at) VALUES ('bob', 'zed', 'direct', 'poisoned', '{not json', ?)", [Date.now()]);
    db.close();
    broker = await startBrokerProcess(e);
    try {
      await using zed = await registered(e.port, "zed");
      const r = await zed.call({ id: 2, op: "check" });
      expect(r.ok).toBe(true);
      expect(r.messages.map((m: any) => m.content)).toEqual(["before", "poisoned"]);
      expect(r.messages[1].data).toBeUndefined();
      expect((await zed.call({ id: 3, op: "history" })).ok).toBe(true);
    } finally {
      await broker.stop();
    }
  }, 60_000);

  test("a forged directory entry takes no name: a new name registers, a held one stays with its holder", async () => {
    await using bob = await registered(b.port, "bob");
    await joined(a.port, 1);
    const names = await mallory.kv(`ipc_${SPACE}_names`);
    const evil = JSON.stringify({ broker: "deadbeefdeadbeef", live: true, at: Date.now() + 60_000 });
    await names.put("dave", evil);
    await names.put("bob", evil);
    await Bun.sleep(1_000); // the brokers' watches have seen both
    await using dave = await RawClient.connect(a.port);
    const r = await dave.call({ id: 1, op: "register", name: "dave", seat: { host: "test", pid: process.pid } });
    expect(r.ok).toBe(true);
    expect((await bob.call({ id: 2, op: "whoami" })).name).toBe("bob");
    await using carol = await registered(a.port, "carol");
    expect((await carol.call({ id: 3, op: "send", to: "bob", content: "still yours" })).ok).toBe(true);
    expect((await readUntil(bob, "still yours")).map((m) => m.content)).toContain("still yours");
    // Purging the entries changes nothing either: bob's broker writes his back at its next heartbeat.
    await names.purge("bob");
    await names.purge("carol");
    expect((await carol.call({ id: 4, op: "send", to: "bob", content: "after the purge" })).ok).toBe(true);
    expect((await readUntil(bob, "after the purge")).map((m) => m.content)).toContain("after the purge");
    await eventually(async () => {
      const e = await names.get("bob");
      return e?.operation === "PUT" ? true : null;
    }, "bob's entry written back", 150);
  }, 60_000);

  test("emptying the claims bucket, or writing a forged claim into it, changes no claim", async () => {
    const dir = realpathSync(tempHome("ipc-atk-claims-"));
    mkdirSync(join(dir, ".git"));
    await using barney = await registered(a.port, "barney");
    await using fred = await registered(b.port, "fred");
    expect((await barney.call({ id: 1, op: "claim", project: dir, paths: ["src/**"], reason: "mine" })).ok).toBe(true);
    const claims = await mallory.kv(`ipc_${SPACE}_claims`);
    // B sees the claim first.
    await eventually(async () => {
      const r = await fred.call({ id: 2, op: "claim", project: dir, paths: ["src/a.ts"] });
      return r.ok === false && r.error.code === "CLAIM_CONFLICT" ? true : null;
    }, "barney's claim on B");
    for await (const k of await claims.keys()) await claims.purge(k);
    const key = `p_${new Bun.CryptoHasher("sha256").update(dir).digest("hex").slice(0, 32)}`;
    const fake = { project: dir, claims: [{ path: "docs/**", holder: "mallory", shared: 0, reason: "mine now", created_at: Date.now(), expires_at: Date.now() + 3_600_000 }] };
    await claims.put(key, JSON.stringify(fake));
    await Bun.sleep(1_000);
    const again = await fred.call({ id: 3, op: "claim", project: dir, paths: ["src/a.ts"] });
    expect(again.ok).toBe(false);
    expect(again.error.code).toBe("CLAIM_CONFLICT");
    // The forged claim holds nothing.
    expect((await fred.call({ id: 4, op: "claim", project: dir, paths: ["docs/x.md"] })).ok).toBe(true);
  }, 60_000);

  test("a deleted consumer comes back: mail sent after the deletion still arrives", async () => {
    await using erin = await registered(a.port, "erin");
    await using frank = await registered(b.port, "frank");
    await joined(a.port, 2);
    await eventually(async () => (await mallory.jsm.consumers.info(`IPC_${SPACE}`, "to_erin").then(() => true, () => null)), "erin's consumer");
    await mallory.jsm.consumers.delete(`IPC_${SPACE}`, "to_erin");
    expect((await frank.call({ id: 1, op: "send", to: "erin", content: "after the deletion" })).ok).toBe(true);
    expect((await readUntil(erin, "after the deletion", 300)).map((m) => m.content)).toEqual(["after the deletion"]);
  }, 60_000);

  test("a broker without the space's key cannot join the space, so it takes no name over and gets none of its mail", async () => {
    await using bob = await registered(b.port, "bob");
    await using carol = await registered(a.port, "carol");
    await joined(a.port, 2);
    const evil = ipcEnv(clusterEnv(cluster.nats.urls, SPACE, spaceKeyFile()));
    await using evilBroker = await startBrokerProcess(evil);
    // The attacker's broker is refused by the space (its key does not sign like the space's).
    await eventually(async () => ((await clusterStatus(evil.port))?.refused !== undefined ? true : null), "the refusal of the keyless broker");
    const takeover = await RawClient.connect(evil.port);
    await takeover.call({ id: 1, op: "register", name: "bob", seat: { host: "test", pid: process.pid }, takeover: true });
    for (let i = 0; i < 200; i++) expect((await carol.call({ id: 10 + i, op: "send", to: "bob", content: `c${i}` })).ok).toBe(true);
    const got = await readUntil(bob, "c199");
    expect(got.map((m) => m.content)).toEqual(Array.from({ length: 200 }, (_, i) => `c${i}`));
    expect((await bob.call({ id: 3, op: "whoami" })).name).toBe("bob");
    const stolen = await takeover.call({ id: 2, op: "check" });
    expect(stolen.messages ?? []).toEqual([]);
    takeover.close();
    void evilBroker;
  }, 90_000);
});
