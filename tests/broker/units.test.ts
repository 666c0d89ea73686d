/** Unit tests of the broker's pure parts: the rate bucket, the reply budget, the waiter table. */
import { describe, expect, test } from "bun:test";
import type { Connection } from "../../src/broker/edge/connection.ts";
import { RateBucket } from "../../src/broker/state/rate-limit.ts";
import { fitting } from "../../src/broker/delivery/reply-budget.ts";
import { type Subscriber, type Waiter, Waiters } from "../../src/broker/delivery/waiters.ts";
import type { MessageRow } from "../../src/store/messages.ts";

describe("RateBucket", () => {
  test("allows the burst at once, then says how long to wait, taking nothing", () => {
    const b = new RateBucket(60, 5); // one a second on average
    for (let i = 0; i < 5; i++) expect(b.take()).toBe(0);
    const wait = b.take();
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(1000);
    expect(b.take()).toBeGreaterThan(0); // the refused call took nothing, and still nothing is there
  });

  test("a cost above the burst costs the burst: never refused for ever", () => {
    const b = new RateBucket(60, 5);
    expect(b.take(50)).toBe(0);
    expect(b.take(1)).toBeGreaterThan(0);
  });

  test("perMinute 0 never limits", () => {
    const b = new RateBucket(0, 1);
    for (let i = 0; i < 10_000; i++) expect(b.take(3)).toBe(0);
  });
});

describe("fitting (reply budget)", () => {
  const row = (content: string, extra: Partial<MessageRow> = {}): MessageRow => ({
    id: 1, sender: "a", recipient: "b", kind: "direct", content, data: null, reply_to: null, created_at: 0, read_at: null, large_file: null, sender_id: null, recipient_id: null, ...extra,
  });

  test("everything when it fits; nothing for nothing", () => {
    expect(fitting([row("x"), row("y")], false, 10_000)).toBe(2);
    expect(fitting([], false, 10)).toBe(0);
  });

  test("stops before the row that would go over, but always returns one row", () => {
    const rows = [row("a".repeat(600)), row("b".repeat(600)), row("c".repeat(600))];
    expect(fitting(rows, false, 1_000)).toBe(1);
    expect(fitting(rows, false, 1_800)).toBe(2);
    expect(fitting([row("z".repeat(5_000))], false, 100)).toBe(1);
  });

  test("a large message counts as its summary in an inbox view, whole when `full`", () => {
    const large = row("L".repeat(100_000), { large_file: "/x.md" });
    expect(fitting([large, large, large], false, 5_000)).toBe(3);
    expect(fitting([large, large, large], true, 150_000)).toBe(1);
  });

  test("data counts too", () => {
    expect(fitting([row("", { data: "d".repeat(900) }), row("")], false, 1_000)).toBe(1);
  });
});

describe("Waiters", () => {
  const conn = (name: string) => ({ session: { name } }) as unknown as Connection;
  const waiter = (name: string, opts: { from?: string; peek?: boolean; deliver?: boolean } = {}): Waiter => ({
    kind: "waiter", conn: conn(name), requestId: Math.random(), from: opts.from, peek: opts.peek ?? false, deliver: opts.deliver ?? false, name, timer: undefined,
  });

  test("the oldest consuming waiter takes a message; every peeking one sees it; from filters", () => {
    const w = new Waiters();
    const first = waiter("fred");
    const second = waiter("fred");
    const peek = waiter("fred", { peek: true });
    const onlyBarney = waiter("fred", { from: "barney" });
    for (const x of [onlyBarney, first, second, peek]) w.add(x);
    expect(w.match("fred", "wilma")).toEqual({ taker: first, peekers: [peek], deliverer: null });
    expect(w.match("fred", "barney").taker).toBe(onlyBarney);
    expect(w.match("nobody", "wilma")).toEqual({ taker: null, peekers: [], deliverer: null });
  });

  test("deliverers are neither takers nor peekers: the oldest one not on the excluded connection is offered the message", () => {
    const w = new Waiters();
    const hook = waiter("fred", { peek: true, deliver: true });
    const other = waiter("fred", { peek: true, deliver: true });
    const peek = waiter("fred", { peek: true });
    for (const x of [hook, other, peek]) w.add(x);
    expect(w.match("fred", "wilma")).toEqual({ taker: null, peekers: [peek], deliverer: hook });
    expect(w.match("fred", "wilma", hook.conn).deliverer).toBe(other);
    const inbox: Subscriber = { kind: "subscriber", conn: conn("fred"), consume: false, deliver: true, name: "fred" };
    const plain: Subscriber = { kind: "subscriber", conn: conn("fred"), consume: false, deliver: false, name: "fred" };
    w.subscribe(plain);
    expect(w.delivererOf("fred")).toBeNull();
    w.subscribe(inbox);
    expect(w.delivererOf("fred")).toBe(inbox);
    expect(w.delivererOf("fred", inbox.conn)).toBeNull();
  });

  test("remove is idempotent and says whether the waiter was still there", () => {
    const w = new Waiters();
    const x = waiter("fred");
    w.add(x);
    expect(w.remove(x)).toBe(true);
    expect(w.remove(x)).toBe(false);
    expect(w.match("fred", "a").taker).toBeNull();
  });

  test("rename moves waiters and subscribers; consumer() finds the subscriber that consumes", () => {
    const w = new Waiters();
    const x = waiter("fred");
    const watch: Subscriber = { kind: "subscriber", conn: conn("fred"), consume: true, deliver: false, name: "fred" };
    const mcp: Subscriber = { kind: "subscriber", conn: conn("fred"), consume: false, deliver: false, name: "fred" };
    w.add(x);
    w.subscribe(mcp);
    w.subscribe(watch);
    expect(w.consumer("fred")).toBe(watch);
    w.rename("fred", "fred2");
    expect(w.match("fred", "a").taker).toBeNull();
    expect(w.match("fred2", "a").taker).toBe(x);
    expect([...(w.subscribersOf("fred2") ?? [])]).toEqual([mcp, watch]);
    w.unsubscribe(watch);
    expect(w.consumer("fred2")).toBeNull();
  });

  test("rekey files everyone under their connection's current session name", () => {
    const w = new Waiters();
    const x = waiter("old");
    (x.conn as unknown as { session: { name: string } }).session.name = "new";
    w.add(x);
    w.rekey();
    expect(w.match("new", "a").taker).toBe(x);
    expect(x.name).toBe("new");
  });
});
