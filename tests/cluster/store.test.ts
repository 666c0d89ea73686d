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
  s.markReceived("n.1", 1_000);
  s.markReceived("n.2", 5_000);
  expect(s.received("n.1")).toBe(true);
  expect(() => s.markReceived("n.1", 2_000)).toThrow(); // the primary key: exactly once
  expect(s.sweep(2_000)).toBe(1);
  expect(s.received("n.1")).toBe(false);
  expect(s.received("n.2")).toBe(true);
  db.close();
});
