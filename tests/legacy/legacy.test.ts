/**
 * The legacy claude-ipc-mcp protocol, byte for byte as its clients speak it:
 * one JSON object, no newline, one reply read until the broker closes.
 */
import { describe, expect, test } from "bun:test";
import { LEGACY_REPLY_BYTES } from "../../src/broker/edge/legacy/handle.ts";
import { legacyProof } from "../../src/protocol/auth.ts";
import { testBroker } from "../helpers/broker.ts";
import { RawClient, registered } from "../helpers/raw.ts";

/** One legacy request: connect, write the object without a newline, read everything until close. */
async function legacy(port: number, request: unknown): Promise<any> {
  await using c = await RawClient.connect(port);
  c.write(JSON.stringify(request));
  const text = await c.readToClose();
  return JSON.parse(text);
}

describe("legacy protocol, open mode", () => {
  test("a name a live v2 session holds is refused, naming the holder; a free one is not (docs/identity.md)", async () => {
    await using b = await testBroker({ IPC_OPEN: "1" });
    await using _fred = await registered(b.port, "fred");
    const taken = await legacy(b.port, { action: "register", instance_id: "fred" });
    expect(taken.status).toBe("error");
    expect(taken.message).toContain(`fred is held by another live session (test, pid ${process.pid}, since `);
    expect((await legacy(b.port, { action: "register", instance_id: "wilma" })).status).toBe("ok");
  });

  test("register, send, check, list, broadcast, rename: exact reply shapes", async () => {
    await using b = await testBroker({ IPC_OPEN: "1" });
    const claude = await legacy(b.port, { action: "register", instance_id: "claude" });
    expect(claude).toEqual({ status: "ok", session_token: expect.any(String), message: "Registered claude" });
    const gemini = await legacy(b.port, { action: "register", instance_id: "gemini", auth_token: "" });
    expect(gemini.message).toBe("Registered gemini");

    const sent = await legacy(b.port, {
      action: "send",
      from_id: "claude",
      to_id: "gemini",
      message: { content: "Hey, can you review this?", data: { pr: 12 } },
      session_token: claude.session_token,
    });
    expect(sent).toEqual({ status: "ok", message: "Message sent" });
    const future = await legacy(b.port, {
      action: "send",
      from_id: "claude",
      to_id: "nessa",
      message: { content: "welcome" },
      session_token: claude.session_token,
    });
    expect(future).toEqual({ status: "ok", message: "Message queued for nessa (not yet registered)" });

    const inbox = await legacy(b.port, { action: "check", instance_id: "gemini", session_token: gemini.session_token });
    expect(inbox).toEqual({
      status: "ok",
      messages: [
        {
          from: "claude",
          to: "gemini",
          timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
          message: { content: "Hey, can you review this?", data: { pr: 12 } },
        },
      ],
    });
    expect(await legacy(b.port, { action: "check", instance_id: "gemini", session_token: gemini.session_token })).toEqual({
      status: "ok",
      messages: [],
    });

    // list works with and without a token (the legacy broker wrongly demanded one).
    const list = await legacy(b.port, { action: "list" });
    expect(list).toEqual({
      status: "ok",
      instances: [
        { id: "claude", last_seen: expect.any(String) },
        { id: "gemini", last_seen: expect.any(String) },
      ],
    });
    expect((await legacy(b.port, { action: "list", session_token: claude.session_token })).instances).toHaveLength(2);

    expect(
      await legacy(b.port, { action: "broadcast", from_id: "claude", message: { content: "standup" }, session_token: claude.session_token }),
    ).toEqual({ status: "ok", message: "Broadcast to 1 instances" });

    expect(
      await legacy(b.port, { action: "rename", old_id: "claude", new_id: "claude-debug", session_token: claude.session_token }),
    ).toEqual({ status: "ok", message: "Renamed claude to claude-debug" });
    expect(
      await legacy(b.port, {
        action: "send",
        from_id: "gemini",
        to_id: "claude",
        message: { content: "still reach you?" },
        session_token: gemini.session_token,
      }),
    ).toEqual({ status: "ok", message: "Message forwarded from claude to claude-debug" });

    const again = await legacy(b.port, { action: "register", instance_id: "nessa" });
    expect(again.message).toBe("Registered nessa with 1 queued messages");
  });

  test("identity comes only from session_token: from_id and instance_id are ignored", async () => {
    await using b = await testBroker({ IPC_OPEN: "1" });
    const a = await legacy(b.port, { action: "register", instance_id: "alice" });
    const v = await legacy(b.port, { action: "register", instance_id: "victim" });
    await legacy(b.port, { action: "send", from_id: "victim", to_id: "victim", message: { content: "spoof?" }, session_token: a.session_token });
    const got = await legacy(b.port, { action: "check", instance_id: "victim", session_token: v.session_token });
    expect(got.messages[0].from).toBe("alice");
    // Reading someone else's inbox by naming it does not work: alice's token reads alice's inbox.
    await legacy(b.port, { action: "send", to_id: "victim", message: { content: "private" }, session_token: v.session_token });
    const stolen = await legacy(b.port, { action: "check", instance_id: "victim", session_token: a.session_token });
    expect(stolen.messages).toEqual([]);
    // rename with old_id naming someone else is refused: it renames neither the victim nor the caller.
    expect(await legacy(b.port, { action: "rename", old_id: "victim", new_id: "hijack", session_token: a.session_token })).toEqual({
      status: "error",
      message: 'old_id "victim" is not this session\'s name (alice): you can rename only yourself; nothing was renamed',
    });
    expect((await legacy(b.port, { action: "rename", old_id: 42, new_id: "hijack", session_token: a.session_token })).status).toBe("error");
    const names = (await legacy(b.port, { action: "list", session_token: a.session_token })).instances.map((i: { id: string }) => i.id).sort();
    expect(names).toEqual(["alice", "victim"]);
    // Its own name (in any case) or no old_id at all still renames the caller.
    expect((await legacy(b.port, { action: "rename", old_id: "ALICE", new_id: "alice2", session_token: a.session_token })).message).toBe("Renamed alice to alice2");
  });

  test("missing or unknown tokens, unknown actions and bad names get legacy errors", async () => {
    await using b = await testBroker({ IPC_OPEN: "1" });
    const noToken = await legacy(b.port, { action: "check", instance_id: "x" });
    expect(noToken).toEqual({ status: "error", message: "Invalid or missing session token" });
    expect(await legacy(b.port, { action: "send", to_id: "x", message: { content: "y" }, session_token: "forged" })).toEqual({
      status: "error",
      message: "Invalid or missing session token",
    });
    expect((await legacy(b.port, { action: "fly" })).status).toBe("error");
    expect((await legacy(b.port, { action: "register", instance_id: "bad name!" })).status).toBe("error");
  });

  test("a newline-terminated legacy request and a half-closed connection work too", async () => {
    await using b = await testBroker({ IPC_OPEN: "1" });
    await using c = await RawClient.connect(b.port);
    c.write(`${JSON.stringify({ action: "register", instance_id: "nl" })}\n`);
    expect(JSON.parse(await c.readToClose()).message).toBe("Registered nl");
    // A request split across writes is served once it parses.
    await using d = await RawClient.connect(b.port);
    const text = JSON.stringify({ action: "list" });
    d.write(text.slice(0, 5));
    await Bun.sleep(30);
    d.write(text.slice(5));
    expect(JSON.parse(await d.readToClose()).status).toBe("ok");
    // A piece that ends with a } inside a string is not the end of the request.
    const { session_token } = await legacy(b.port, { action: "register", instance_id: "braces" });
    await using e = await RawClient.connect(b.port);
    const send = JSON.stringify({ action: "send", to_id: "braces", message: { content: "a}" }, session_token });
    const cut = send.indexOf("a}") + 2;
    e.write(send.slice(0, cut));
    await Bun.sleep(30);
    e.write(send.slice(cut));
    expect(JSON.parse(await e.readToClose())).toEqual({ status: "ok", message: "Message sent" });
    expect((await legacy(b.port, { action: "check", session_token })).messages[0].message.content).toBe("a}");
    // A client that half-closes after writing (echo '{…}' | nc -N) still gets its reply.
    await using h = await RawClient.connect(b.port);
    h.write(JSON.stringify({ action: "register", instance_id: "halfclosed" }));
    h.shutdownWrite();
    expect(JSON.parse(await h.readToClose()).message).toBe("Registered halfclosed");
  });

  test("a 210 KB inbox comes in legacy check replies that each fit one TCP segment (LEGACY_REPLY_BYTES), whole, in order, nothing lost", async () => {
    await using b = await testBroker({ IPC_OPEN: "1" });
    const s = await legacy(b.port, { action: "register", instance_id: "s" });
    const r = await legacy(b.port, { action: "register", instance_id: "r" });
    const chunk = "0123456789".repeat(1000); // 10 000 chars, under the large-message threshold
    for (let i = 0; i < 21; i++) {
      await legacy(b.port, { action: "send", to_id: "r", message: { content: `${i}:${chunk}` }, session_token: s.session_token });
    }
    const got: string[] = [];
    const sizes: number[] = [];
    for (let round = 0; round < 30; round++) {
      await using c = await RawClient.connect(b.port);
      c.write(JSON.stringify({ action: "check", instance_id: "r", session_token: r.session_token }));
      const text = await c.readToClose();
      const reply = JSON.parse(text);
      if (reply.messages.length === 0) break;
      sizes.push(Buffer.byteLength(text));
      got.push(...reply.messages.map((m: any) => m.message.content.split(":")[0]));
    }
    expect(got).toEqual([...Array(21).keys()].map(String));
    expect(sizes.length).toBe(21); // one 10 KB message a reply
    for (const size of sizes) expect(size).toBeLessThanOrEqual(LEGACY_REPLY_BYTES);
  });
});

test("IPC_LEGACY=off refuses legacy requests with a legacy-shaped error; v2 is unaffected", async () => {
  await using b = await testBroker({ IPC_LEGACY: "off" });
  const r = await legacy(b.port, { action: "register", instance_id: "old" });
  expect(r).toEqual({ status: "error", message: "the claude-ipc-mcp protocol is off on this broker (IPC_LEGACY=off): use ipc (protocol v2)" });
  await using c = await RawClient.connect(b.port);
  expect((await c.call({ id: 1, op: "register", name: "new" })).ok).toBe(true);
});

test("without a shared secret (the default) legacy clients are refused, saying to set IPC_SHARED_SECRET on both sides", async () => {
  await using b = await testBroker();
  const r = await legacy(b.port, { action: "register", instance_id: "old" });
  expect(r.status).toBe("error");
  expect(r.message).toContain("set IPC_SHARED_SECRET to the same value for the ipc broker and for the legacy clients");
  expect(await legacy(b.port, { action: "list" })).toEqual({ status: "error", message: "Invalid or missing session token" });
  await using c = await RawClient.connect(b.port);
  expect((await c.call({ id: 1, op: "list" })).instances).toEqual([]);
});

describe("legacy protocol with a shared secret", () => {
  const SECRET = "legacy-team-secret";

  test("register needs auth_token = sha256(\"<id>:<secret>\"); the right token works, a wrong one does not", async () => {
    await using b = await testBroker({ IPC_SHARED_SECRET: SECRET });
    expect(await legacy(b.port, { action: "register", instance_id: "gemini" })).toEqual({ status: "error", message: "Invalid auth token" });
    expect(await legacy(b.port, { action: "register", instance_id: "gemini", auth_token: legacyProof("gemini", "wrong") })).toEqual({
      status: "error",
      message: "Invalid auth token",
    });
    const ok = await legacy(b.port, { action: "register", instance_id: "gemini", auth_token: legacyProof("gemini", SECRET) });
    expect(ok).toMatchObject({ status: "ok", message: "Registered gemini" });
    const sent = await legacy(b.port, { action: "send", to_id: "gemini", message: { content: "hi" }, session_token: ok.session_token });
    expect(sent).toEqual({ status: "ok", message: "Message sent" });
    expect((await legacy(b.port, { action: "check", session_token: ok.session_token })).messages).toHaveLength(1);
    // list names instances only for a session: a stranger's connection learns nothing.
    expect(await legacy(b.port, { action: "list" })).toEqual({ status: "error", message: "Invalid or missing session token" });
    expect((await legacy(b.port, { action: "list", session_token: ok.session_token })).instances).toHaveLength(1);
  });

  test("the legacy static proof is not accepted on protocol v2", async () => {
    await using b = await testBroker({ IPC_SHARED_SECRET: SECRET });
    await using c = await RawClient.connect(b.port, undefined, { authenticate: false });
    await c.call({ id: 1, op: "hello" });
    const r = await c.call({ id: 2, op: "register", name: "gemini", auth: legacyProof("gemini", SECRET) });
    expect(r).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
  });
});
