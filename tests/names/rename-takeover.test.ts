/** Hole 9 (issue 10): a renamed-away name is reserved for its holder, and history belongs to the identity, not to the name. */
import { expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { openDatabase } from "../../src/store/database.ts";
import { MIGRATIONS } from "../../src/store/migrations.ts";
import { manualClock, testBroker } from "../helpers/broker.ts";
import { tempHome } from "../helpers/processes.ts";
import { agentOf, legacyCall, SECRET } from "./_agents.ts";

const HOUR = 3_600_000;

test("during its forwarding a renamed-away name is refused to anyone else, with when it frees up", async () => {
  const clock = manualClock();
  await using b = await testBroker({ IPC_SHARED_SECRET: SECRET }, { clock: clock.read });
  using fred = agentOf(b, "fred");
  await fred.register("fred");
  using barney = agentOf(b, "barney");
  await barney.register("barney");
  await fred.call("rename", { new_name: "fred2" });

  using mallory = agentOf(b);
  const refused = await mallory.register("fred").catch((e) => e);
  expect(refused).toMatchObject({ code: "CONFLICT" });
  expect(refused.message).toContain("renamed to fred2");
  expect(refused.message).toContain(new Date(clock.now + 2 * HOUR).toISOString());
  // The legacy protocol cannot take it either.
  const legacy = (await legacyCall(b.port, { action: "register", instance_id: "fred" })).reply;
  expect(legacy).toMatchObject({ status: "error" });
  expect(legacy.message).toContain("renamed to fred2");

  // Mail for fred still reaches fred (now fred2), not a newcomer.
  expect(await barney.call("send", { to: "fred", content: "still yours?" })).toMatchObject({ to: "fred2", status: "forwarded" });
  expect((await fred.call("check", {})).messages.map((m) => m.content)).toContain("still yours?");

  // The session that renamed away may take its old name back.
  expect(await fred.register("fred")).toMatchObject({ name: "fred" });
});

test("a newcomer taking a name after its forwarding ends reads none of the earlier holder's history", async () => {
  const clock = manualClock();
  await using b = await testBroker({}, { clock: clock.read });
  using fred = agentOf(b, "fred");
  await fred.register("fred");
  using barney = agentOf(b, "barney");
  await barney.register("barney");
  const secret = await barney.call("send", { to: "fred", content: "for fred's eyes only" });
  expect((await fred.call("check", {})).messages).toHaveLength(1);
  await fred.call("send", { to: "barney", content: "fred says hello" });
  await fred.call("rename", { new_name: "fred2" });
  clock.advance(2 * HOUR + 1000);
  b.sweep();

  using newcomer = agentOf(b);
  expect(await newcomer.register("fred")).toMatchObject({ name: "fred", queued: 0 });
  expect((await newcomer.call("history", {})).messages).toEqual([]);
  expect((await newcomer.call("search", { query: "eyes" })).messages).toEqual([]);
  await expect(newcomer.call("read", { message_id: secret.message_id })).rejects.toMatchObject({ code: "NOT_FOUND" });

  // The history stayed with its identity, under its new name, both directions.
  const own = (await fred.call("history", {})).messages.map((m) => m.content);
  expect(own).toContain("for fred's eyes only");
  expect(own).toContain("fred says hello");
  expect((await fred.call("read", { message_id: secret.message_id })).message.content).toBe("for fred's eyes only");
  // And the newcomer's own mail is theirs.
  await barney.call("send", { to: "fred", content: "hello newcomer" });
  expect((await newcomer.call("history", {})).messages.map((m) => m.content)).toEqual(["hello newcomer"]);
});

/** Ways to come to hold a name: register it, or rename into it. */
const TAKE: Array<[string, (b: Parameters<typeof agentOf>[0], name: string) => Promise<ReturnType<typeof agentOf>>]> = [
  ["registers it", async (b, name) => {
    const a = agentOf(b, name);
    await a.register(name);
    return a;
  }],
  ["renames into it", async (b, name) => {
    const a = agentOf(b, "fred");
    await a.register("fred");
    await a.call("rename", { new_name: name });
    return a;
  }],
];

test.each(TAKE)("mail waiting for a name nobody holds yet belongs to whoever %s", async (_how, take) => {
  await using b = await testBroker();
  using barney = agentOf(b, "barney");
  await barney.register("barney");
  const early = await barney.call("send", { to: "wanted", content: "whoever becomes wanted" });
  expect(early.status).toBe("future");
  using holder = await take(b, "wanted");
  expect((await holder.call("whoami", {})).unread).toBe(1);
  expect((await holder.call("read", { message_id: early.message_id })).message.content).toBe("whoever becomes wanted");
  expect((await holder.call("history", {})).messages.map((m) => m.content)).toContain("whoever becomes wanted");
});

test("the schema migration gives existing names identities and their messages to their holders", () => {
  const path = join(tempHome(), "ipc.db");
  {
    const db = new Database(path, { create: true, strict: true });
    for (let v = 0; v < 3; v++) db.exec(MIGRATIONS[v]!);
    db.exec("PRAGMA user_version = 3");
    const now = Date.now();
    const inst = db.prepare("INSERT INTO instances (name, registered_at, last_seen) VALUES (?, ?, ?)");
    for (const n of ["barney", "fred2", "wilma"]) inst.run(n, now, now);
    db.prepare("INSERT INTO forwards (old_name, new_name, expires_at) VALUES ('fred', 'fred2', ?)").run(now + HOUR);
    const msg = db.prepare("INSERT INTO messages (sender, recipient, kind, content, created_at) VALUES (?, ?, 'direct', ?, ?)");
    msg.run("barney", "fred", "to fred before the rename", now);
    msg.run("wilma", "gone", "to a name nobody holds", now);
    db.close();
  }
  const db = openDatabase(path);
  const ids = new Map((db.query("SELECT name, identity FROM instances").all() as { name: string; identity: number }[]).map((r) => [r.name, r.identity]));
  expect(new Set(ids.values()).size).toBe(3);
  const rows = db.query("SELECT content, sender_id, recipient_id FROM messages ORDER BY id").all();
  expect(rows).toEqual([
    { content: "to fred before the rename", sender_id: ids.get("barney")!, recipient_id: ids.get("fred2")! },
    { content: "to a name nobody holds", sender_id: ids.get("wilma")!, recipient_id: null },
  ]);
  db.close();
});
