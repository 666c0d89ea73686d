/**
 * The group commit's two batching rules: a growing group waits for the next
 * turn's writes (GROW_*), and sends hold their rows back until the end of
 * their connection's frames (MessageStore.insertLater, drained by the pump),
 * never changing what is acknowledged, stored, or read.
 */
import { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { GROW_FROM, GROW_TURNS, GroupCommit } from "../../src/broker/delivery/group-commit.ts";
import { testBroker } from "../helpers/broker.ts";
import { registered } from "../helpers/raw.ts";

/** The next event-loop turn (after the group commit's own setImmediate, which was queued first). */
const nextTurn = () => new Promise<void>((r) => setImmediate(r));

/** A GroupCommit over an in-memory table, and what reached the one outlet. */
function fixture() {
  const db = new Database(":memory:");
  db.exec("CREATE TABLE t (x INTEGER)");
  const commit = new GroupCommit(db, () => {});
  const insert = db.prepare("INSERT INTO t VALUES (?)");
  const written: string[] = [];
  const outlet = { write: (text: string) => written.push(text), failCommit: () => written.push("FAILED") };
  /** `n` writes, each answered to the outlet after the commit. */
  const writes = (n: number, tag: string) => {
    for (let i = 0; i < n; i++) {
      commit.begin();
      insert.run(i);
      commit.send(outlet, `${tag}${i};`, i);
    }
  };
  const stored = () => (db.query("SELECT count(*) AS n FROM t").get() as { n: number }).n;
  return { db, commit, writes, written, stored };
}

test("a group of GROW_FROM writes or more waits while each turn adds writes, and commits once the clients stop", async () => {
  const f = fixture();
  f.writes(GROW_FROM, "a");
  await nextTurn();
  // The first turn added writes: the group waited, nothing is answered yet.
  expect(f.commit.commits).toBe(0);
  expect(f.written).toEqual([]);
  f.writes(3, "b");
  await nextTurn();
  expect(f.commit.commits).toBe(0);
  // A turn that adds nothing commits: both turns' writes in one transaction, then the answers.
  await nextTurn();
  await nextTurn();
  expect(f.commit.commits).toBe(1);
  expect(f.stored()).toBe(GROW_FROM + 3);
  expect(f.written.join("")).toBe([...Array(GROW_FROM).keys()].map((i) => `a${i};`).join("") + "b0;b1;b2;");
});

test("a small group commits at the end of its turn: one-at-a-time clients never wait a turn", async () => {
  const f = fixture();
  f.writes(GROW_FROM - 1, "a");
  await nextTurn();
  expect(f.commit.commits).toBe(1);
  expect(f.written).toHaveLength(1);
});

test("a group that keeps growing commits after GROW_TURNS turns at most", async () => {
  const f = fixture();
  f.writes(GROW_FROM, "a");
  const commitsPerTurn: number[] = [];
  for (let turn = 0; turn < GROW_TURNS + 4; turn++) {
    await nextTurn();
    commitsPerTurn.push(f.commit.commits);
    f.writes(GROW_FROM, "n");
  }
  // Waited GROW_TURNS turns, then committed although writes kept coming.
  expect(commitsPerTurn.indexOf(1)).toBe(GROW_TURNS);
  await nextTurn();
  f.commit.flush();
  expect(f.stored()).toBe(GROW_FROM * (GROW_TURNS + 5));
});

test("flush commits at once, even a growing group (the sweeper and stop rely on it)", () => {
  const f = fixture();
  f.writes(GROW_FROM * 2, "a");
  f.commit.flush();
  expect(f.commit.commits).toBe(1);
  expect(f.written).toHaveLength(1);
});

test("held-back sends: a pipelined chunk's sends, a large one, a channel post and reads in between keep their order and ids", async () => {
  await using b = await testBroker({ IPC_LARGE_MESSAGE_BYTES: "1000" });
  await using s = await registered(b.port, "s");
  await using r = await registered(b.port, "r");
  expect((await r.call({ id: 1, op: "channel", action: "join", channel: "#ch" })).ok).toBe(true);
  expect((await s.call({ id: 2, op: "channel", action: "join", channel: "#ch" })).ok).toBe(true);
  const frames = [
    { id: 10, op: "send", to: "r", content: "one" },
    { id: 11, op: "send", to: "r", content: "two" },
    // Read in the same chunk, before the chunk's rows were drained by the pump: it must see both.
    { id: 12, op: "history", limit: 10 },
    { id: 13, op: "send", to: "r", content: "L".repeat(2000) },
    { id: 14, op: "send", to: "#ch", content: "post" },
    { id: 15, op: "send", to: "r", content: "three" },
  ];
  s.write(frames.map((f) => `${JSON.stringify(f)}\n`).join(""));
  const answers = new Map((await s.frames(frames.length)).map((f) => [f.id, f]));
  for (const a of answers.values()) expect(a.ok).toBe(true);
  const ids = [10, 11, 13, 15].map((k) => answers.get(k).message_id as number);
  // Ascending in the order sent, never reused (the channel post's record and copies took ids in between).
  expect([...ids].sort((x, y) => x - y)).toEqual(ids);
  expect(new Set(ids).size).toBe(4);
  expect(answers.get(12).messages.map((m: { content: string }) => m.content).slice(0, 2).sort()).toEqual(["one", "two"]);
  const inbox = await r.call({ id: 20, op: "check", limit: 10, full: true });
  const got = inbox.messages.map((m: { id: number; content: string }) => [m.id, m.content.slice(0, 5)]);
  expect(got.filter((g: [number, string]) => g[1] !== "post")).toEqual([
    [ids[0], "one"],
    [ids[1], "two"],
    [ids[2], "LLLLL"],
    [ids[3], "three"],
  ]);
  // The broker's next id follows on: a later send is stored under a fresh id.
  const later = await s.call({ id: 21, op: "send", to: "r", content: "later" });
  expect(later.message_id).toBeGreaterThan(Math.max(...ids));
  expect((await r.call({ id: 22, op: "check" })).messages.map((m: { content: string }) => m.content)).toEqual(["later"]);
});

test("a held-back send that cannot be stored (disk full) fails its whole group: stored exactly what was acknowledged", async () => {
  await using b = await testBroker();
  await using s = await registered(b.port, "s");
  await using r = await registered(b.port, "r");
  const pages = (b.broker.db.query("PRAGMA page_count").get() as { page_count: number }).page_count;
  b.broker.db.exec(`PRAGMA max_page_count = ${pages + 4}`); // a few rows fit, not 200 of 400 bytes
  const n = 200;
  s.write(Array.from({ length: n }, (_, i) => `${JSON.stringify({ id: i, op: "send", to: "r", content: `${i} ${"x".repeat(400)}` })}\n`).join(""));
  const answers = await s.frames(n);
  const ok = answers.filter((a) => a.ok);
  const failed = answers.filter((a) => !a.ok);
  expect(failed.length).toBeGreaterThan(0);
  for (const a of failed) expect(a.error).toMatchObject({ code: "INTERNAL", message: expect.stringMatching(/^disk full: /) });
  b.broker.db.exec("PRAGMA max_page_count = 1073741823");
  const inbox = await r.call({ id: 1000, op: "check", limit: 500 });
  expect(inbox.messages.map((m: { id: number }) => m.id).sort((x: number, y: number) => x - y)).toEqual(
    ok.map((a) => a.message_id).sort((x, y) => x - y),
  );
  expect((await r.call({ id: 1001, op: "whoami" })).unread).toBe(0);
  // The broker goes on: the ids handed out for the lost rows are taken again from the table, without a clash.
  const again = await s.call({ id: 1002, op: "send", to: "r", content: "again" });
  expect(again.ok).toBe(true);
  expect((await r.call({ id: 1003, op: "check" })).messages.map((m: { content: string }) => m.content)).toEqual(["again"]);
});
