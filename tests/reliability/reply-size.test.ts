/** Replies are bounded in size, so a check never marks read more than a client can receive. */
import { expect, test } from "bun:test";
import { testBroker } from "../helpers/broker.ts";
import { RawClient, registered } from "../helpers/raw.ts";

test("30 messages with 3.5 MB of data each: every check returns what fits, nothing is lost", async () => {
  await using b = await testBroker();
  await using alice = await registered(b.port, "alice");
  await using bob = await registered(b.port, "bob");
  const blob = "d".repeat(3_500_000);
  for (let i = 0; i < 30; i++) {
    const r = await alice.call({ id: i, op: "send", to: "bob", content: `m${i}`, data: { blob } });
    expect(r.ok).toBe(true);
  }
  const seen: string[] = [];
  for (let round = 0; round < 30 && seen.length < 30; round++) {
    // Each reply carries 2 of these (8 MiB budget); the broker reads only the rows that budget could carry (sized first).
    const r = await bob.call({ id: 100 + round, op: "check", limit: 1000 }, 45_000);
    expect(r.ok).toBe(true);
    expect(r.messages.length).toBeGreaterThan(0);
    expect(r.messages.length).toBeLessThan(4);
    for (const m of r.messages) {
      expect(m.data.blob.length).toBe(blob.length);
      seen.push(m.content);
    }
  }
  expect(seen).toEqual([...Array(30).keys()].map((i) => `m${i}`));
  expect((await bob.call({ id: 999, op: "whoami" })).unread).toBe(0);
}, 240_000);

test("a legacy check is bounded the same way and leaves the rest unread", async () => {
  await using b = await testBroker();
  await using alice = await registered(b.port, "alice");
  await using c = await RawClient.connect(b.port);
  const bob = await c.call({ id: 1, op: "register", name: "bob" });
  const blob = "x".repeat(3_000_000);
  for (let i = 0; i < 5; i++) await alice.call({ id: i, op: "send", to: "bob", content: `m${i}`, data: { blob } });
  await using legacy = await RawClient.connect(b.port);
  legacy.write(JSON.stringify({ action: "check", session_token: bob.token }));
  const reply = JSON.parse(await legacy.readToClose());
  expect(reply.messages.length).toBeGreaterThan(0);
  expect(reply.messages.length).toBeLessThan(5);
  expect((await c.call({ id: 2, op: "whoami" })).unread).toBe(5 - reply.messages.length);
}, 60_000);
