/**
 * What a sender learns (docs/wake.md#delivery-states): `delivered` only when
 * the message reached its reader (a consuming reader took it, or a deliverer
 * acked it), `notified` when a live process of the recipient merely has it,
 * `queued` when nobody listens. Deliverers (subscribe/check with `deliver`)
 * hold messages as leases: nobody else takes a leased message; a failed or
 * silent deliverer loses nothing.
 */
import { describe, expect, test } from "bun:test";
import { testBroker } from "../helpers/broker.ts";
import { type RawClient, registered } from "../helpers/raw.ts";

/** Sends `content` from `from` to `to` without waiting for the answer. */
function send(from: RawClient, to: string, content: string, id = 1): void {
  from.send({ id, op: "send", to, content });
}

/** True when nothing arrives on `c` within `ms` (a held reply stays held). */
async function silent(c: RawClient, ms = 300): Promise<boolean> {
  try {
    await c.frame(ms);
    return false;
  } catch {
    return true;
  }
}

describe("send status", () => {
  test("queued with nobody listening; notified with only a live subscription (unread); delivered to a consuming reader (read)", async () => {
    await using b = await testBroker();
    await using alice = await registered(b.port, "alice");
    await using bob = await registered(b.port, "bob");
    expect((await alice.call({ id: 1, op: "send", to: "bob", content: "one" })).status).toBe("queued");
    await using mcp = await registered(b.port, "bob"); // as an MCP server holds it: pushes, never reads
    expect((await mcp.call({ id: 1, op: "subscribe" })).ok).toBe(true);
    const r = await alice.call({ id: 2, op: "send", to: "bob", content: "two" });
    expect(r.status).toBe("notified");
    expect((await mcp.frame()).message.content).toBe("two");
    expect((await bob.call({ id: 2, op: "whoami" })).unread).toBe(2);
    bob.send({ id: 3, op: "check", wait: 10 });
    expect((await bob.frame()).messages.map((m: { content: string }) => m.content)).toEqual(["one", "two"]);
    bob.send({ id: 4, op: "check", wait: 10 });
    await bob.call({ id: 5, op: "whoami" }).catch(() => {}); // the check is held now (whoami answered first)
    expect((await alice.call({ id: 3, op: "send", to: "bob", content: "three" })).status).toBe("delivered");
  });
});

describe("deliverers", () => {
  test("a deliver-subscriber gets the message leased; the sender hears delivered once it acks, and it is read", async () => {
    await using b = await testBroker();
    await using alice = await registered(b.port, "alice");
    await using inbox = await registered(b.port, "bob");
    expect((await inbox.call({ id: 1, op: "subscribe", deliver: true })).ok).toBe(true);
    send(alice, "bob", "hi");
    const pushed = await inbox.frame();
    expect(pushed).toMatchObject({ event: "message", lease: true, message: { content: "hi" } });
    expect(await silent(alice)).toBe(true); // the answer waits for the deliverer
    expect(await inbox.call({ id: 2, op: "ack", message_ids: [pushed.message.id], delivered: true })).toMatchObject({ ok: true, acked: 1 });
    expect(await alice.frame()).toMatchObject({ id: 1, ok: true, status: "delivered" });
    expect((await inbox.call({ id: 3, op: "whoami" })).unread).toBe(0);
  });

  test("a deliverer that cannot deliver: the sender hears notified, the mail stays unread for the next reader", async () => {
    await using b = await testBroker();
    await using alice = await registered(b.port, "alice");
    await using inbox = await registered(b.port, "bob");
    await inbox.call({ id: 1, op: "subscribe", deliver: true });
    send(alice, "bob", "hi");
    const pushed = await inbox.frame();
    await inbox.call({ id: 2, op: "ack", message_ids: [pushed.message.id], delivered: false });
    expect(await alice.frame()).toMatchObject({ id: 1, status: "notified" });
    await using bob = await registered(b.port, "bob");
    expect((await bob.call({ id: 1, op: "check" })).messages.map((m: { content: string }) => m.content)).toEqual(["hi"]);
  });

  test("a silent deliverer: its lease ends as notified, and it is demoted to plain pushes (the breaker)", async () => {
    await using b = await testBroker();
    await using alice = await registered(b.port, "alice");
    await using inbox = await registered(b.port, "bob");
    await inbox.call({ id: 1, op: "subscribe", deliver: true });
    send(alice, "bob", "first");
    expect((await inbox.frame()).lease).toBe(true);
    expect(await alice.frame(10_000)).toMatchObject({ id: 1, status: "notified" }); // after the lease (5 s)
    const r = await alice.call({ id: 2, op: "send", to: "bob", content: "second" });
    expect(r.status).toBe("notified"); // at once: no lease any more
    const plain = await inbox.frame();
    expect(plain.message.content).toBe("second");
    expect(plain.lease).toBeUndefined();
    await using bob = await registered(b.port, "bob");
    expect((await bob.call({ id: 1, op: "whoami" })).unread).toBe(2);
  });

  test("a leased message is taken by nobody else; when its deliverer goes away it is unread and free again", async () => {
    await using b = await testBroker();
    await using alice = await registered(b.port, "alice");
    const inbox = await registered(b.port, "bob");
    await inbox.call({ id: 1, op: "subscribe", deliver: true });
    send(alice, "bob", "mine");
    await inbox.frame();
    await using bob = await registered(b.port, "bob");
    expect((await bob.call({ id: 1, op: "check" })).messages).toEqual([]);
    expect((await bob.call({ id: 2, op: "check", deliver: true })).messages).toEqual([]);
    inbox.close();
    expect(await alice.frame()).toMatchObject({ id: 1, status: "notified" });
    expect((await bob.call({ id: 3, op: "check" })).messages.map((m: { content: string }) => m.content)).toEqual(["mine"]);
  });

  test("the inbox first, a held deliverer (the wake hook) next: one delivery, and the sender hears the second one's outcome", async () => {
    await using b = await testBroker();
    await using alice = await registered(b.port, "alice");
    await using hook = await registered(b.port, "bob");
    hook.send({ id: 7, op: "check", wait: 30, deliver: true });
    await using inbox = await registered(b.port, "bob");
    await inbox.call({ id: 1, op: "subscribe", deliver: true });
    send(alice, "bob", "once");
    const pushed = await inbox.frame();
    expect(pushed.lease).toBe(true);
    expect(await silent(hook)).toBe(true); // the hook's wait is not woken while the inbox holds it
    await inbox.call({ id: 2, op: "ack", message_ids: [pushed.message.id], delivered: false });
    const offered = await hook.frame();
    expect(offered).toMatchObject({ id: 7, ok: true, messages: [{ content: "once" }] });
    expect(await silent(alice)).toBe(true);
    await hook.call({ id: 8, op: "ack", message_ids: [pushed.message.id], delivered: true });
    expect(await alice.frame()).toMatchObject({ id: 1, status: "delivered" });
  });

  test("check {deliver} leases the backlog; another name's message cannot be acked", async () => {
    await using b = await testBroker();
    await using alice = await registered(b.port, "alice");
    await alice.call({ id: 1, op: "send", to: "bob", content: "waiting" });
    await using bob = await registered(b.port, "bob");
    const got = await bob.call({ id: 1, op: "check", deliver: true });
    expect(got.messages.map((m: { content: string }) => m.content)).toEqual(["waiting"]);
    const id = got.messages[0].id;
    expect(await alice.call({ id: 2, op: "ack", message_ids: [id], delivered: true })).toMatchObject({ ok: true, acked: 0 });
    expect((await bob.call({ id: 2, op: "whoami" })).unread).toBe(1);
    expect(await bob.call({ id: 3, op: "ack", message_ids: [id], delivered: true })).toMatchObject({ acked: 1 });
    expect((await bob.call({ id: 4, op: "whoami" })).unread).toBe(0);
    expect((await bob.call({ id: 5, op: "ack", message_ids: [], delivered: true })).error.code).toBe("BAD_REQUEST");
  });
});
