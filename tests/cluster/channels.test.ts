/**
 * Channels across brokers (docs/cluster.md#2-message-flows): three brokers
 * (separate IPC_HOMEs, real processes) on one three-node JetStream cluster,
 * driven by the real CLI. Membership is cluster-wide, a post reaches every
 * member on every broker once (waking a held check), never the sender, and
 * only members may post; a join made while NATS is down shows everywhere once
 * it is back.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { brokersOnCluster, type BrokersOnCluster, clusterStatus, joined } from "../helpers/cluster-clients.ts";
import { type NatsCluster, natsSkip } from "../helpers/nats.ts";
import { ipc, type IpcEnv, ipcJson } from "../helpers/processes.ts";

let cluster: BrokersOnCluster | undefined;
let nats: NatsCluster;
let envs: IpcEnv[] = [];

/** `ipc …args --as name --json` on broker `e`, parsed. */
const as = (e: IpcEnv, name: string, args: string[]) => ipcJson(e, [...args, "--as", name, "--no-spawn"]);

/** The members of `channel` as broker `e` shows them to `name`. */
async function members(e: IpcEnv, name: string, channel: string): Promise<string[]> {
  return (await as(e, name, ["channel", "members", channel])).channels[0].members;
}

/** Polls `fn` until it returns a value (bounded: about 30 s), for state that crosses NATS. */
async function eventually<T>(fn: () => Promise<T | null | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 150; i++) {
    const v = await fn();
    if (v !== null && v !== undefined) return v;
    await Bun.sleep(200);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Waits until broker `e` shows `channel` with exactly `expected` as members. */
async function seesMembers(e: IpcEnv, viewer: string, channel: string, expected: string[]): Promise<void> {
  await eventually(async () => {
    const got = await members(e, viewer, channel);
    return JSON.stringify(got) === JSON.stringify(expected) ? true : null;
  }, `${channel} with ${expected.join(", ")} on ${e.port}`);
}

/** `name`'s inbox on `e` (consumed), as `from → channel: content`. */
async function inbox(e: IpcEnv, name: string): Promise<string[]> {
  return (await as(e, name, ["check"])).messages.map((m: any) => `${m.from} → ${m.channel ?? m.to}: ${m.content}`);
}

/** Reads `name`'s inbox until it holds something (bounded), then once more after 1.5 s: a duplicate would show there. */
async function arrived(e: IpcEnv, name: string): Promise<string[]> {
  const got = await eventually(async () => {
    const x = await inbox(e, name);
    return x.length > 0 ? x : null;
  }, `mail for ${name}`);
  await Bun.sleep(1_500);
  return [...got, ...(await inbox(e, name))];
}

describe.skipIf(natsSkip !== null)("channels across brokers", () => {
  beforeAll(async () => {
    cluster = await brokersOnCluster(3, "chan");
    ({ nats, envs } = cluster);
  }, 60_000);

  afterAll(() => cluster?.stop());

  test("members on two brokers: cluster-wide membership, posts both ways once, a held check woken, no own copy, non-members refused, leave stops the mail", async () => {
    const [a, b] = envs as [IpcEnv, IpcEnv];
    for (const [e, n] of [[a, "alice"], [b, "bob"], [b, "carol"], [b, "dave"]] as const) expect((await ipc(e, ["register", n])).code).toBe(0);
    await joined(a.port, 4);
    await joined(b.port, 4);
    await as(a, "alice", ["channel", "join", "#backend"]);
    await as(b, "bob", ["channel", "join", "#backend"]);
    await as(b, "dave", ["channel", "join", "#backend"]);
    await seesMembers(a, "alice", "#backend", ["alice", "bob", "dave"]);
    await seesMembers(b, "carol", "#backend", ["alice", "bob", "dave"]);
    const listed = (await as(b, "carol", ["channel", "list"])).channels;
    expect(listed).toEqual([{ name: "#backend", members: ["alice", "bob", "dave"], joined: false }]);

    // A held check on B, woken by a post on A.
    const held = as(b, "bob", ["check", "--wait", "30"]);
    await Bun.sleep(1_000);
    const post = await as(a, "alice", ["send", "#backend", "schema v2 is merged"]);
    expect(post).toMatchObject({ to: "#backend", status: "queued" });
    const woke = (await held).messages;
    expect(woke.map((m: any) => [m.from, m.to, m.kind, m.channel, m.content])).toEqual([["alice", "bob", "channel", "#backend", "schema v2 is merged"]]);
    expect(await arrived(b, "dave")).toEqual(["alice → #backend: schema v2 is merged"]);
    expect(await inbox(b, "bob")).toEqual([]); // once
    expect(await inbox(a, "alice")).toEqual([]); // no own copy
    // The human view of the copy on B: a channel post.
    const shown = await ipc(b, ["history", "--as", "bob", "--no-spawn"]);
    expect(shown.stdout).toContain("alice → #backend");

    // B → A; bob gets no copy of his own post, dave (on B with him) gets his.
    expect(await as(b, "bob", ["send", "#backend", "migrating now"])).toMatchObject({ to: "#backend", status: "queued" });
    expect(await arrived(a, "alice")).toEqual(["bob → #backend: migrating now"]);
    expect(await inbox(b, "dave")).toEqual(["bob → #backend: migrating now"]);
    expect(await inbox(b, "bob")).toEqual([]);

    // A non-member may not post, on either side.
    const refused = await ipc(b, ["send", "#backend", "let me in", "--as", "carol", "--no-spawn"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("join it first");

    // bob leaves on B: A stops sending him copies (dave, on the same broker, still gets his).
    await as(b, "bob", ["channel", "leave", "#backend"]);
    await seesMembers(a, "alice", "#backend", ["alice", "dave"]);
    await as(a, "alice", ["send", "#backend", "after bob left"]);
    expect(await arrived(b, "dave")).toEqual(["alice → #backend: after bob left"]);
    expect(await inbox(b, "bob")).toEqual([]);
    expect((await clusterStatus(a.port)).outbox).toBe(0);
  }, 120_000);

  test("three brokers: one post reaches the members on both others, once; a rename carries the membership", async () => {
    const [a, b, c] = envs as [IpcEnv, IpcEnv, IpcEnv];
    for (const [e, n] of [[a, "ann"], [b, "ben"], [c, "cat"]] as const) {
      expect((await ipc(e, ["register", n])).code).toBe(0);
      await as(e, n, ["channel", "join", "#ring"]);
    }
    for (const [e, n] of [[a, "ann"], [b, "ben"], [c, "cat"]] as const) await seesMembers(e, n, "#ring", ["ann", "ben", "cat"]);
    await as(a, "ann", ["send", "#ring", "to the ring"]);
    expect(await arrived(b, "ben")).toEqual(["ann → #ring: to the ring"]);
    expect(await arrived(c, "cat")).toEqual(["ann → #ring: to the ring"]);
    expect(await inbox(a, "ann")).toEqual([]);
    // A rename on B: the membership follows cluster-wide, and so do the posts.
    expect((await ipc(b, ["rename", "benny", "--as", "ben", "--no-spawn"])).code).toBe(0);
    await seesMembers(a, "ann", "#ring", ["ann", "benny", "cat"]);
    await seesMembers(c, "cat", "#ring", ["ann", "benny", "cat"]);
    await as(c, "cat", ["send", "#ring", "hello benny"]);
    expect(await arrived(b, "benny")).toEqual(["cat → #ring: hello benny"]);
  }, 120_000);

  test("a reply to a post from another broker joins its thread on both brokers, and the channel's history on each has both", async () => {
    const [a, b] = envs as [IpcEnv, IpcEnv];
    for (const [e, n] of [[a, "tia"], [a, "tom"], [b, "ted"]] as const) {
      expect((await ipc(e, ["register", n])).code).toBe(0);
      await as(e, n, ["channel", "join", "#threads"]);
    }
    await seesMembers(b, "ted", "#threads", ["ted", "tia", "tom"]);
    const root = await as(a, "tia", ["send", "#threads", "which port?"]);
    const copy = (await eventually(async () => {
      const m = (await as(b, "ted", ["check"])).messages;
      return m.length > 0 ? m : null;
    }, "the post on B"))[0];
    // ted (on B) answers his copy; on A the answer points at tia's post.
    await as(b, "ted", ["send", "#threads", "9876", "--reply-to", String(copy.id)]);
    const answer = (await eventually(async () => {
      const m = (await as(a, "tom", ["check"])).messages.filter((x: any) => x.from === "ted");
      return m.length > 0 ? m : null;
    }, "the answer on A"))[0];
    expect(answer.reply_to).toBe(root.message_id);
    for (const [e, n, id] of [[a, "tia", root.message_id], [a, "tom", answer.id], [b, "ted", copy.id]] as const) {
      const thread = (await as(e, n, ["thread", String(id)])).messages.map((m: any) => `${m.from}: ${m.content}`);
      expect(thread).toEqual(["tia: which port?", "ted: 9876"]);
    }
    // The channel's history on either broker has both posts, oldest last, once.
    for (const [e, n] of [[a, "tom"], [b, "ted"]] as const) {
      const h = (await as(e, n, ["history", "#threads"])).messages.map((m: any) => `${m.from}: ${m.content}`);
      expect(h).toEqual(["ted: 9876", "tia: which port?"]);
    }
  }, 120_000);

  test("a join and a leave made while NATS is down work locally and show cluster-wide once NATS is back", async () => {
    const [a, b] = envs as [IpcEnv, IpcEnv];
    for (const [e, n] of [[a, "owen"], [a, "olga"], [a, "oleg"], [b, "otto"]] as const) expect((await ipc(e, ["register", n])).code).toBe(0);
    await joined(b.port, 4);
    await as(b, "otto", ["channel", "join", "#ops"]);
    await as(a, "oleg", ["channel", "join", "#ops"]);
    await seesMembers(a, "owen", "#ops", ["oleg", "otto"]);
    await seesMembers(b, "otto", "#ops", ["oleg", "otto"]);
    for (let i = 0; i < 3; i++) await nats.kill(i);
    // Local while down: oleg leaves, owen joins and olga (same broker) sees it and gets his post.
    await as(a, "oleg", ["channel", "leave", "#ops"]);
    await as(a, "owen", ["channel", "join", "#ops"]);
    await as(a, "olga", ["channel", "join", "#ops"]);
    expect(await members(a, "owen", "#ops")).toEqual(["olga", "otto", "owen"]);
    await as(a, "owen", ["send", "#ops", "posted while NATS was down"]);
    expect(await inbox(a, "olga")).toEqual(["owen → #ops: posted while NATS was down"]);
    await Promise.all([0, 1, 2].map((i) => nats.start(i)));
    // Back: B learns the joins and the leave, and otto gets the post queued while NATS was down.
    await seesMembers(b, "otto", "#ops", ["olga", "otto", "owen"]);
    expect(await arrived(b, "otto")).toEqual(["owen → #ops: posted while NATS was down"]);
  }, 120_000);
});
