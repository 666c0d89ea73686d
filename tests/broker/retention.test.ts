/** Retention sweeps with an injectable clock: future messages, read messages, sessions, files. */
import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { manualClock, testBroker } from "../helpers/broker.ts";
import { RawClient, registered } from "../helpers/raw.ts";

const DAY = 86_400_000;


test("unread messages to names never registered expire after 7 days; registered inboxes keep theirs", async () => {
  const clock = manualClock();
  await using b = await testBroker({}, { clock: clock.read });
  await using s = await registered(b.port, "s");
  await using _r = await registered(b.port, "r");
  await s.call({ id: 1, op: "send", to: "ghost", content: "are you there?" });
  await s.call({ id: 2, op: "send", to: "r", content: "unread but registered" });
  clock.advance(7 * DAY - 1000);
  expect(b.sweep().futureMessages).toBe(0);
  clock.advance(2000);
  expect(b.sweep().futureMessages).toBe(1);
  await using ghost = await registered(b.port, "ghost");
  expect((await ghost.call({ id: 1, op: "check" })).messages).toHaveLength(0);
  await using r = await registered(b.port, "r");
  expect((await r.call({ id: 1, op: "check" })).messages).toHaveLength(1);
});

test("a sweep takes the expired head of a never-registered name's inbox and leaves the messages after it", async () => {
  const clock = manualClock();
  await using b = await testBroker({}, { clock: clock.read });
  await using s = await registered(b.port, "s");
  // Sweeps run every minute; here each one also keeps s's session alive (its connection is live).
  const day = () => {
    clock.advance(DAY);
    return b.sweep().futureMessages;
  };
  expect((await s.call({ id: 1, op: "send", to: "ghost", content: "day 0" })).ok).toBe(true);
  day();
  expect((await s.call({ id: 2, op: "send", to: "ghost", content: "day 1" })).ok).toBe(true);
  day();
  day();
  expect((await s.call({ id: 3, op: "send", to: "ghost", content: "day 3" })).ok).toBe(true);
  expect((await s.call({ id: 4, op: "send", to: "elsewhere", content: "the newest row, never swept" })).ok).toBe(true);
  for (let d = 4; d < 8; d++) expect(day()).toBe(0);
  // Day 8: the message of day 0 is over 7 days old; day 9: day 1's too; day 3's is not.
  expect(day()).toBe(1);
  expect(day()).toBe(1);
  expect(b.sweep().futureMessages).toBe(0);
  await using ghost = await registered(b.port, "ghost");
  expect((await ghost.call({ id: 1, op: "check" })).messages.map((m: any) => m.content)).toEqual(["day 3"]);
});

test("read messages are purged after 30 days (configurable), with their large-message files", async () => {
  const clock = manualClock();
  await using b = await testBroker({ IPC_RETAIN_READ_DAYS: "3" }, { clock: clock.read });
  await using s = await registered(b.port, "s");
  await using r = await registered(b.port, "r");
  const big = await s.call({ id: 1, op: "send", to: "r", content: "x".repeat(20_000) });
  await s.call({ id: 2, op: "send", to: "r", content: "small" });
  const [m] = (await r.call({ id: 3, op: "check" })).messages;
  const file = m.data.large_message_file as string;
  // The newest message is never purged (ids are max(id)+1, so this keeps them unique): leave a newer one.
  await r.call({ id: 6, op: "send", to: "s", content: "newest, unread" });
  expect(existsSync(file)).toBe(true);
  clock.advance(3 * DAY - 1000);
  expect(b.sweep().readMessages).toBe(0);
  clock.advance(2000);
  expect(b.sweep().readMessages).toBe(2);
  expect(existsSync(file)).toBe(false);
  // Days passed, so the sessions expired too: register again to look.
  await using s2 = await registered(b.port, "s");
  await using r2 = await registered(b.port, "r");
  expect((await s2.call({ id: 4, op: "read", message_id: big.message_id })).error.code).toBe("NOT_FOUND");
  expect((await r2.call({ id: 5, op: "history" })).messages.map((m: any) => m.content)).toEqual(["newest, unread"]);
  expect((await r2.call({ id: 6, op: "status" })).counts).toMatchObject({ messages: 1, unread: 1 });
});

test("sessions expire after 24 hours unused (sliding)", async () => {
  const clock = manualClock();
  await using b = await testBroker({}, { clock: clock.read });
  await using c = await RawClient.connect(b.port);
  const { token } = await c.call({ id: 1, op: "register", name: "idle" });
  c.close();
  clock.advance(20 * 3_600_000);
  await using c2 = await RawClient.connect(b.port);
  expect((await c2.call({ id: 1, op: "auth", token })).ok).toBe(true); // used: the 24 h start again
  c2.close();
  clock.advance(20 * 3_600_000);
  b.sweep();
  await using c3 = await RawClient.connect(b.port);
  expect((await c3.call({ id: 1, op: "auth", token })).ok).toBe(true);
  c3.close();
  await Bun.sleep(50);
  clock.advance(25 * 3_600_000);
  expect(b.sweep().sessions).toBe(1);
  await using c4 = await RawClient.connect(b.port);
  expect((await c4.call({ id: 1, op: "auth", token })).error.code).toBe("UNAUTHENTICATED");
});

test("a session bound to a live connection stays alive: a watcher idle for days keeps its pushes", async () => {
  const clock = manualClock();
  await using b = await testBroker({}, { clock: clock.read });
  await using watcher = await RawClient.connect(b.port);
  await watcher.call({ id: 1, op: "register", name: "watcher" });
  await watcher.call({ id: 2, op: "subscribe", consume: true });
  for (let hour = 0; hour < 72; hour++) {
    clock.advance(3_600_000);
    b.sweep();
  }
  await using s = await registered(b.port, "s");
  expect((await s.call({ id: 1, op: "send", to: "watcher", content: "three days later" })).status).toBe("delivered");
  expect((await watcher.frame()).message.content).toBe("three days later");
});

test("message ids are never reused, even when old messages are purged", async () => {
  const clock = manualClock();
  await using b = await testBroker({ IPC_RETAIN_READ_DAYS: "1" }, { clock: clock.read });
  await using s = await registered(b.port, "s");
  const ids: number[] = [];
  for (let i = 0; i < 3; i++) ids.push((await s.call({ id: i, op: "send", to: "s", content: `m${i}` })).message_id);
  await s.call({ id: 9, op: "check" });
  clock.advance(2 * DAY);
  expect(b.sweep().readMessages).toBe(2); // the newest stays
  await using s2 = await registered(b.port, "s");
  const next = (await s2.call({ id: 10, op: "send", to: "s", content: "after purge" })).message_id;
  expect(next).toBeGreaterThan(Math.max(...ids));
});
