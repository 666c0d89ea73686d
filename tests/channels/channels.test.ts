/** Channels and threads in the broker (docs/coordination.md), through raw v2 clients. */
import { describe, expect, test } from "bun:test";
import { tempHome } from "../helpers/processes.ts";
import { testBroker } from "../helpers/broker.ts";
import { type RawClient, registered } from "../helpers/raw.ts";

let n = 100;
const call = (c: RawClient, frame: Record<string, unknown>) => c.call({ id: n++, ...frame });
const join = (c: RawClient, channel: string) => call(c, { op: "channel", action: "join", channel });
const post = (c: RawClient, to: string, content: string, extra: Record<string, unknown> = {}) => call(c, { op: "send", to, content, ...extra });
const inbox = async (c: RawClient) => (await call(c, { op: "check" })).messages as Array<{ id: number; from: string; to: string; content: string; kind: string; channel?: string; reply_to?: number }>;

describe("channels", () => {
  test("a post reaches every member but the sender, as their own mail; non-members get nothing and may not post or read", async () => {
    await using b = await testBroker();
    await using barney = await registered(b.port, "barney");
    await using fred = await registered(b.port, "fred");
    await using wilma = await registered(b.port, "wilma");
    await using betty = await registered(b.port, "betty");
    for (const c of [barney, fred, wilma]) expect((await join(c, "#Backend")).ok).toBe(true);
    const members = await call(betty, { op: "channel", action: "members", channel: "#backend" });
    expect(members.channels).toEqual([{ name: "#backend", members: ["barney", "fred", "wilma"], joined: false }]);

    // fred waits on his inbox: the post is pushed to him.
    const waiting = call(fred, { op: "check", wait: 10 });
    await Bun.sleep(50);
    const sent = await post(barney, "#backend", "schema v2 is merged");
    expect(sent).toMatchObject({ ok: true, to: "#backend", status: "delivered" });
    const pushed = (await waiting).messages;
    expect(pushed).toHaveLength(1);
    expect(pushed[0]).toMatchObject({ from: "barney", to: "fred", kind: "channel", channel: "#backend", content: "schema v2 is merged" });

    expect((await inbox(wilma)).map((m) => `${m.channel} ${m.from}: ${m.content}`)).toEqual(["#backend barney: schema v2 is merged"]);
    expect(await inbox(barney)).toEqual([]);
    expect(await inbox(betty)).toEqual([]);

    const outsider = await post(betty, "#backend", "let me in");
    expect(outsider.error.code).toBe("FORBIDDEN");
    expect(outsider.error.message).toContain("join it first");
    expect((await call(betty, { op: "history", with: "#backend" })).error.code).toBe("FORBIDDEN");

    // Members read the channel's history (one row per post), search finds it.
    await post(wilma, "#backend", "thanks, migrating the search index next");
    const history = (await call(fred, { op: "history", with: "#backend" })).messages;
    expect(history.map((m: any) => `${m.from}→${m.to}: ${m.content}`)).toEqual(["wilma→#backend: thanks, migrating the search index next", "barney→#backend: schema v2 is merged"]);
    // A post's record (the ids history shows) is readable by members, not by others.
    expect((await call(fred, { op: "read", message_id: history[0].id })).message.content).toBe("thanks, migrating the search index next");
    expect((await call(betty, { op: "read", message_id: history[0].id })).error.code).toBe("NOT_FOUND");
    await Bun.sleep(50);
    expect((await call(fred, { op: "search", query: "migrating" })).messages.map((m: any) => m.channel)).toEqual(["#backend"]);
    expect((await call(betty, { op: "search", query: "migrating" })).messages).toEqual([]);

    // Leaving stops the mail; list shows channels with their members.
    expect((await call(wilma, { op: "channel", action: "leave", channel: "#backend" })).channels[0]).toMatchObject({ joined: false, members: ["barney", "fred"] });
    await post(barney, "#backend", "after wilma left");
    expect(await inbox(wilma)).toEqual([]);
    expect((await call(betty, { op: "channel", action: "list" })).channels).toEqual([{ name: "#backend", members: ["barney", "fred"], joined: false }]);
  });

  test("a post costs one rate token per member, like broadcast: over the budget nothing is sent", async () => {
    await using b = await testBroker({ IPC_RATE_LIMIT: "60", IPC_RATE_BURST: "3" });
    const members = await Promise.all(["a1", "a2", "a3", "a4", "a5"].map((m) => registered(b.port, m)));
    try {
      for (const c of members) await join(c, "#crowd");
      const r = await post(members[0]!, "#crowd", "hello all");
      expect(r.ok).toBe(false);
      expect(r.error.code).toBe("RATE_LIMITED");
      expect(r.error.message).toContain("a post to #crowd to 4 instances");
      expect(await inbox(members[1]!)).toEqual([]);
    } finally {
      for (const c of members) c.close();
    }
  });

  test("channel names are validated like agent names", async () => {
    await using b = await testBroker();
    await using fred = await registered(b.port, "fred");
    for (const bad of ["backend", "#", "#has space", `#${"x".repeat(33)}`, "#system"]) {
      const r = await join(fred, bad);
      expect(r.ok).toBe(false);
    }
    expect((await post(fred, "#nobody-here", "hi")).error.code).toBe("FORBIDDEN");
  });

  test("membership persists across restarts and follows a rename", async () => {
    const home = tempHome();
    {
      await using b = await testBroker({}, { home });
      await using barney = await registered(b.port, "barney");
      await using fred = await registered(b.port, "fred");
      await join(barney, "#ops");
      await join(fred, "#ops");
      expect((await call(fred, { op: "rename", new_name: "fred2" })).ok).toBe(true);
    }
    await using b = await testBroker({}, { home });
    await using barney = await registered(b.port, "barney");
    await using fred2 = await registered(b.port, "fred2");
    expect((await call(barney, { op: "channel", action: "members", channel: "#ops" })).channels[0].members).toEqual(["barney", "fred2"]);
    await post(barney, "#ops", "still there?");
    expect((await inbox(fred2)).map((m) => m.content)).toEqual(["still there?"]);
  });
});

describe("threads", () => {
  test("a thread runs from its root through every reply, both directions and channels, only what the caller may read", async () => {
    await using b = await testBroker();
    await using barney = await registered(b.port, "barney");
    await using fred = await registered(b.port, "fred");
    await using wilma = await registered(b.port, "wilma");
    for (const c of [barney, fred]) await join(c, "#api");

    const root = (await post(barney, "fred", "can you review #12?")).message_id;
    await inbox(fred);
    const r1 = (await post(fred, "barney", "yes, after lunch", { reply_to: root })).message_id;
    // Fred takes it to the channel; barney answers his own copy of the post.
    const r2 = (await post(fred, "#api", "reviewing barney's #12 now", { reply_to: r1 })).message_id;
    const copy = (await inbox(barney)).find((m) => m.channel === "#api")!;
    expect(copy.reply_to).toBe(r1);
    const r3 = (await post(barney, "#api", "thanks!", { reply_to: copy.id })).message_id;
    // Wilma, outside both, may not reply to fred's direct message (she cannot read it): refused as read and
    // thread refuse it, and nothing is sent; a reply to her own message goes through.
    const refused = await post(wilma, "barney", "me too?", { reply_to: r1 });
    expect(refused.error).toMatchObject({ code: "NOT_FOUND", message: expect.stringContaining(`no message ${r1} that wilma may read`) });
    expect((await post(wilma, "barney", "me too?", { reply_to: 999_999 })).error.code).toBe("NOT_FOUND");
    const own = (await post(wilma, "barney", "me too?")).message_id;
    const r4 = (await post(wilma, "barney", "(me too, I mean)", { reply_to: own })).message_id;
    const unrelated = (await post(barney, "fred", "unrelated")).message_id;

    const asBarney = (await call(barney, { op: "thread", message_id: r3 })).messages.map((m: any) => m.id);
    expect(asBarney).toEqual([root, r1, r2, r3]);
    expect(asBarney).not.toContain(r4);
    expect(asBarney).not.toContain(unrelated);
    // The replies to a copy point at the post's record, so every member sees one thread.
    const asFred = (await call(fred, { op: "thread", message_id: root })).messages;
    expect(asFred.map((m: any) => m.id)).toEqual([root, r1, r2, r3]);
    expect(asFred[3]).toMatchObject({ reply_to: r2, channel: "#api" });
    // Wilma sees her own message only; a message she may not read is NOT_FOUND.
    expect((await call(wilma, { op: "thread", message_id: r4 })).messages.map((m: any) => m.id)).toEqual([own, r4]);
    expect((await call(wilma, { op: "thread", message_id: root })).error.code).toBe("NOT_FOUND");
  });
});
