/**
 * Migration 9 (issue 25): history's received half goes through the inbox index
 * and `held_names` instead of an index on recipient_id. Both tests compare
 * MessageStore.history / channelCopies with the plain definition — every
 * message whose sender_id or recipient_id is the identity — on the same rows.
 */
import { expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { openDatabase } from "../../src/store/database.ts";
import { InstanceStore } from "../../src/store/instances.ts";
import { type MessageRow, MessageStore } from "../../src/store/messages.ts";
import { MIGRATIONS } from "../../src/store/migrations.ts";
import { tempHome } from "../helpers/processes.ts";

const COLUMNS = "id, sender, recipient, kind, content, data, reply_to, created_at, read_at, large_file, sender_id, recipient_id, channel";
const MAX = Number.MAX_SAFE_INTEGER;

/** The definition of an identity's history, without any index in mind. */
function plainHistory(db: Database, who: number, limit: number, before = MAX, other?: string): MessageRow[] {
  if (other === undefined) {
    return db.query(`SELECT ${COLUMNS} FROM messages WHERE (sender_id = ?1 OR recipient_id = ?1) AND id < ?2 ORDER BY id DESC LIMIT ?3`).all(who, before, limit) as MessageRow[];
  }
  return db
    .query(`SELECT ${COLUMNS} FROM messages WHERE ((sender_id = ?1 AND recipient = ?4) OR (recipient_id = ?1 AND sender = ?4)) AND id < ?2 ORDER BY id DESC LIMIT ?3`)
    .all(who, before, limit, other) as MessageRow[];
}

function plainCopies(db: Database, who: number, channel: string, limit: number, before = MAX): MessageRow[] {
  return db.query(`SELECT ${COLUMNS} FROM messages WHERE recipient_id = ?1 AND channel = ?2 AND id < ?3 ORDER BY id DESC LIMIT ?4`).all(who, channel, before, limit) as MessageRow[];
}

/** A small deterministic pseudo-random sequence (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function identities(db: Database): number[] {
  return (db.query("SELECT id FROM identities ORDER BY id").all() as { id: number }[]).map((r) => r.id);
}

function expectSameHistories(db: Database, messages: MessageStore, names: string[]): void {
  let compared = 0;
  for (const who of identities(db)) {
    for (const limit of [1, 3, 50, 10_000]) {
      for (const before of [MAX, 40, 200]) {
        expect(messages.history(who, limit, before).map((r) => r.id)).toEqual(plainHistory(db, who, limit, before).map((r) => r.id));
        for (const other of names.slice(0, 4)) {
          expect(messages.history(who, limit, before, other).map((r) => r.id)).toEqual(plainHistory(db, who, limit, before, other).map((r) => r.id));
        }
        expect(messages.channelCopies(who, "#room", limit, before).map((r) => r.id)).toEqual(plainCopies(db, who, "#room", limit, before).map((r) => r.id));
        compared += plainHistory(db, who, limit, before).length;
      }
    }
  }
  expect(compared).toBeGreaterThan(100);
}

test("history and channel copies match their definition through registrations, renames, releases, reads and withdrawals", () => {
  const db = openDatabase(":memory:");
  const instances = new InstanceStore(db);
  const messages = new MessageStore(db);
  const next = rng(25);
  const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)]!;
  const names = ["ann", "bob", "cy", "dee", "eve", "fay"];
  const held = new Set<string>();
  let now = 1_000;
  for (let step = 0; step < 600; step++) {
    now += 1_000;
    const r = next();
    const name = pick(names);
    db.transaction(() => {
      if (r < 0.08) {
        instances.upsert(name, now);
        held.add(name);
      } else if (r < 0.12 && held.has(name)) {
        const to = pick(names);
        if (held.has(to)) return;
        // As ops/rename.ts does it.
        instances.rename(name, to, now);
        messages.moveUnread(name, to);
        held.delete(name);
        held.add(to);
      } else if (r < 0.14 && held.has(name)) {
        // Released as the sweeper does it: only a name with no unread mail (read it all first).
        messages.consume(name, 10_000, now);
        instances.delete(name);
        held.delete(name);
      } else if (r < 0.2) {
        messages.consume(name, 1 + Math.floor(next() * 3), now);
      } else if (r < 0.22) {
        const last = messages.peek(name, 1)[0];
        if (last !== undefined) messages.withdraw(last.id, "withdrawn", now);
      } else {
        const channel = next() < 0.2 ? "#room" : null;
        messages.insert({ sender: pick(names), recipient: name, kind: "direct", content: `m${step}`, data: null, reply_to: null, created_at: now, read_at: null, channel });
      }
    })();
  }
  expect(messages.count()).toBeGreaterThan(300);
  expect(identities(db).length).toBeGreaterThan(6);
  expectSameHistories(db, messages, names);
  db.close();
});

test("migration 10 lists the names each identity held and drops the recipient_id index; histories stay the same", () => {
  const path = join(tempHome(), "ipc.db");
  const names = ["fred", "fred2", "barney", "wilma", "gone"];
  const before = new Map<number, number[]>();
  {
    // A database as the previous schema (8) made it: fred renamed to fred2, then a newcomer took fred.
    const db = new Database(path, { create: true, strict: true });
    db.exec("PRAGMA page_size = 1024");
    for (let v = 0; v < 8; v++) db.exec(MIGRATIONS[v]!);
    db.exec("PRAGMA user_version = 8");
    const ident = db.prepare("INSERT INTO identities (first_name, created_at) VALUES (?, 0)");
    const inst = db.prepare("INSERT INTO instances (name, registered_at, last_seen, identity) VALUES (?, 0, 0, ?)");
    const id = (n: string) => Number(ident.run(n).lastInsertRowid);
    const fred = id("fred");
    const barney = id("barney");
    const wilma = id("wilma");
    inst.run("barney", barney);
    inst.run("wilma", wilma);
    const msg = db.prepare(
      "INSERT INTO messages (sender, recipient, kind, content, created_at, read_at, sender_id, recipient_id, channel) VALUES (?, ?, 'direct', ?, 0, ?, ?, ?, ?)",
    );
    for (let i = 0; i < 20; i++) msg.run("barney", "fred", `to fred ${i}`, i % 3 === 0 ? null : 5, barney, fred, i % 4 === 0 ? "#room" : null);
    msg.run("fred", "wilma", "from fred", 5, fred, wilma, null);
    inst.run("fred2", fred); // the rename
    for (let i = 0; i < 5; i++) msg.run("wilma", "fred2", `to fred2 ${i}`, null, wilma, fred, null);
    const newcomer = id("fred");
    inst.run("fred", newcomer);
    for (let i = 0; i < 7; i++) msg.run("barney", "fred", `to the new fred ${i}`, i % 2 === 0 ? 5 : null, barney, newcomer, null);
    msg.run("wilma", "gone", "nobody holds gone", null, wilma, null, null);
    for (const who of identities(db)) before.set(who, plainHistory(db, who, 10_000).map((r) => r.id));
    db.close();
  }
  const db = openDatabase(path);
  expect((db.query("PRAGMA user_version").get() as { user_version: number }).user_version).toBe(10);
  expect(db.query("SELECT name FROM sqlite_schema WHERE type = 'index' AND name = 'messages_received'").all()).toEqual([]);
  // The inbox and sent indexes end with the rowid (= id) only; queries still walk them in id order, with no sort step.
  const plan = (sql: string) => (db.query(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join("; ");
  expect(plan("SELECT id FROM messages WHERE recipient = 'x' AND (read_at IS NOT NULL) = 0 ORDER BY id LIMIT 5")).toBe(
    "SEARCH messages USING COVERING INDEX messages_inbox (recipient=? AND <expr>=?)",
  );
  expect(plan("SELECT content FROM messages WHERE sender_id = 1 AND id < 9 ORDER BY id DESC LIMIT 5")).toBe("SEARCH messages USING INDEX messages_sent (sender_id=? AND rowid<?)");
  expect(db.query("SELECT identity, name, until_id FROM held_names ORDER BY identity, name").all()).toEqual([
    { identity: 1, name: "fred", until_id: 20 },
    { identity: 1, name: "fred2", until_id: null },
    { identity: 2, name: "barney", until_id: null },
    { identity: 3, name: "wilma", until_id: null },
    { identity: 4, name: "fred", until_id: null },
  ]);
  const messages = new MessageStore(db);
  for (const [who, ids] of before) expect(messages.history(who, 10_000).map((r) => r.id)).toEqual(ids);
  expect(before.get(1)!.length).toBe(26);
  expect(before.get(4)!.length).toBe(7);
  expectSameHistories(db, messages, names);
  db.close();
});
