/** The cluster's tables (src/cluster/store.ts, migration 7) on an in-memory database. */
import { expect, test } from "bun:test";
import { ClusterStore } from "../../src/cluster/store.ts";
import { openDatabase } from "../../src/store/database.ts";

test("the node id is made once and kept", () => {
  const db = openDatabase(":memory:");
  const first = new ClusterStore(db).node;
  expect(first).toMatch(/^[0-9a-f]{16}$/);
  expect(new ClusterStore(db).node).toBe(first);
  db.close();
});

test("the outbox keeps publish order until each row is published", () => {
  const db = openDatabase(":memory:");
  const s = new ClusterStore(db);
  for (let i = 1; i <= 3; i++) s.enqueue(`n.${i}`, "ipc.x.to.bob", `{"i":${i}}`);
  expect(s.pending(10).map((r) => r.msg_id)).toEqual(["n.1", "n.2", "n.3"]);
  s.published(s.pending(1)[0]!.seq);
  expect(s.pending(10).map((r) => r.msg_id)).toEqual(["n.2", "n.3"]);
  expect(s.outboxLength()).toBe(2);
  db.close();
});

test("a received id is refused a second time, and swept once older than the cut", () => {
  const db = openDatabase(":memory:");
  const s = new ClusterStore(db);
  s.markReceived("n.1", 1_000, 11);
  s.markReceived("n.2", 5_000, 12);
  expect(s.received("n.1")).toBe(true);
  expect(() => s.markReceived("n.1", 2_000, 13)).toThrow(); // the primary key: exactly once
  expect(s.sweep(2_000)).toBe(1);
  expect(s.received("n.1")).toBe(false);
  expect(s.received("n.2")).toBe(true);
  db.close();
});

test("refs: a local message's cluster-wide id, and the local message a ref names", () => {
  const db = openDatabase(":memory:");
  const s = new ClusterStore(db);
  // Sent here: its ref is this node's.
  expect(s.refOf(7)).toBe(`${s.node}.7`);
  expect(s.localOf(`${s.node}.7`)).toBe(7);
  // Came from node b: its ref is the sender's id, also for a per-recipient origin (b.41.carol).
  s.markReceived("b.41", 1_000, 20);
  s.markReceived("b.42.carol", 1_000, 21);
  s.markReceived("b.420", 1_000, 22);
  expect(s.refOf(20)).toBe("b.41");
  expect(s.refOf(21)).toBe("b.42");
  expect(s.localOf("b.41")).toBe(20);
  expect(s.localOf("b.42")).toBe(21); // not b.420's message
  expect(s.localOf("b.420")).toBe(22);
  expect(s.localOf("b.43")).toBeNull();
  expect(s.localOf(`${s.node}.x`)).toBeNull();
  db.close();
});
