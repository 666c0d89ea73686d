/** rename: own name only, once per hour, forwarding for 2 hours (persisted), system notices. */
import { expect, test } from "bun:test";
import { manualClock, testBroker } from "../helpers/broker.ts";
import { registered } from "../helpers/raw.ts";

const HOUR = 3_600_000;


test("rename moves the inbox and session, forwards the old name, notifies everyone else", async () => {
  const clock = manualClock();
  await using b = await testBroker({}, { clock: clock.read });
  await using fred = await registered(b.port, "fred");
  await using barney = await registered(b.port, "barney");
  await using wilma = await registered(b.port, "wilma");
  await barney.call({ id: 1, op: "send", to: "fred", content: "before" });

  const r = await fred.call({ id: 2, op: "rename", new_name: "fred-debugging", old_id: "barney" });
  expect(r).toMatchObject({ ok: true, old: "fred", new: "fred-debugging" });

  // The same connection now acts as the new name and owns the moved inbox.
  const inbox = await fred.call({ id: 3, op: "check" });
  expect(inbox.messages.map((m: any) => [m.to, m.content])).toEqual([["fred-debugging", "before"]]);
  expect((await fred.call({ id: 4, op: "whoami" })).name).toBe("fred-debugging");

  // Sends to the old name are forwarded and say so.
  const fwd = await barney.call({ id: 5, op: "send", to: "fred", content: "after" });
  expect(fwd).toMatchObject({ ok: true, to: "fred-debugging", status: "forwarded" });
  expect((await fred.call({ id: 6, op: "check" })).messages[0].content).toBe("after");

  // Everyone else got a system notice.
  for (const c of [barney, wilma]) {
    const sys = (await c.call({ id: 7, op: "check" })).messages.filter((m: any) => m.kind === "system");
    expect(sys).toHaveLength(1);
    expect(sys[0]).toMatchObject({ from: "system", data: { event: "rename", old: "fred", new: "fred-debugging" } });
    expect(sys[0].content).toContain("fred is now fred-debugging");
  }
  const names = (await wilma.call({ id: 8, op: "list" })).instances.map((i: any) => i.name);
  expect(names).toEqual(["barney", "fred-debugging", "wilma"]);
});

test("forwarding expires after 2 hours", async () => {
  const clock = manualClock();
  await using b = await testBroker({}, { clock: clock.read });
  await using a = await registered(b.port, "a");
  await using s = await registered(b.port, "s");
  await a.call({ id: 1, op: "rename", new_name: "a2" });
  clock.advance(2 * HOUR - 1000);
  expect((await s.call({ id: 2, op: "send", to: "a", content: "x" })).status).toBe("forwarded");
  clock.advance(2000);
  const late = await s.call({ id: 3, op: "send", to: "a", content: "y" });
  expect(late).toMatchObject({ to: "a", status: "future" });
  b.sweep();
  expect(b.broker.registry.forwards.size).toBe(0);
});

test("forwarding survives a broker restart", async () => {
  const clock = manualClock();
  let home: string;
  {
    await using b = await testBroker({}, { clock: clock.read });
    home = b.config.home;
    await using a = await registered(b.port, "a");
    await a.call({ id: 1, op: "rename", new_name: "a2" });
  }
  await using b2 = await testBroker({}, { clock: clock.read, home });
  await using s = await registered(b2.port, "s");
  expect(await s.call({ id: 1, op: "send", to: "a", content: "still there?" })).toMatchObject({ to: "a2", status: "forwarded" });
});

test("renaming to a taken name, to yourself, or twice within the hour is refused", async () => {
  const clock = manualClock();
  await using b = await testBroker({}, { clock: clock.read });
  await using a = await registered(b.port, "a");
  await using _c = await registered(b.port, "c");
  expect((await a.call({ id: 1, op: "rename", new_name: "C" })).error.code).toBe("CONFLICT");
  expect((await a.call({ id: 2, op: "rename", new_name: "a" })).error.code).toBe("BAD_REQUEST");
  expect((await a.call({ id: 3, op: "rename", new_name: "system" })).error.code).toBe("INVALID_NAME");
  expect((await a.call({ id: 4, op: "rename", new_name: "a2" })).ok).toBe(true);
  const again = await a.call({ id: 5, op: "rename", new_name: "a3" });
  expect(again).toMatchObject({ ok: false, error: { code: "RATE_LIMITED" } });
  expect(again.error.retry_after_ms).toBeGreaterThan(0);
  clock.advance(HOUR + 1);
  expect((await a.call({ id: 6, op: "rename", new_name: "a3" })).ok).toBe(true);
});

test("a name another instance just left stays reserved for its forwarding", async () => {
  const clock = manualClock();
  await using b = await testBroker({}, { clock: clock.read });
  await using a = await registered(b.port, "a");
  await using x = await registered(b.port, "x");
  await a.call({ id: 1, op: "rename", new_name: "a2" });
  expect((await x.call({ id: 2, op: "rename", new_name: "a" })).error.code).toBe("CONFLICT");
  // The instance that left may come back (after the hourly limit), which ends the forwarding.
  clock.advance(HOUR + 1);
  expect((await a.call({ id: 3, op: "rename", new_name: "a" })).ok).toBe(true);
  expect(b.broker.registry.forwardOf("a", clock.now)).toBeNull();
  expect(b.broker.registry.forwardOf("a2", clock.now)).toBe("a");
});

test("one session cannot rename another instance: rename only acts on the caller's own name", async () => {
  await using b = await testBroker();
  await using a = await registered(b.port, "a");
  await using victim = await registered(b.port, "victim");
  // Legacy-style fields naming someone else are ignored.
  const r = await a.call({ id: 1, op: "rename", new_name: "a-new", old_id: "victim", from: "victim" });
  expect(r).toMatchObject({ ok: true, old: "a", new: "a-new" });
  expect((await victim.call({ id: 2, op: "whoami" })).name).toBe("victim");
});
