/** Wire protocol v2 against a real broker over TCP: framing, errors, pipelining, sizes, push. */
import { describe, expect, test } from "bun:test";
import { hmacProof } from "../../src/protocol/auth.ts";
import { testBroker } from "../helpers/broker.ts";
import { RawClient, registered } from "../helpers/raw.ts";


describe("framing and errors", () => {
  test("hello tells version, protocol, mode and a fresh nonce per connection", async () => {
    await using b = await testBroker();
    await using c1 = await RawClient.connect(b.port);
    await using c2 = await RawClient.connect(b.port);
    const h1 = await c1.call({ id: "h", op: "hello" });
    const h2 = await c2.call({ id: "h", op: "hello" });
    expect(h1).toMatchObject({ id: "h", ok: true, broker: "ipc", protocol: 2, secure: true, open: false });
    expect(h1.nonce).toMatch(/^[0-9a-f]{32}$/);
    expect(h2.nonce).not.toBe(h1.nonce);
  });

  test("a malformed line gets BAD_REQUEST and the connection keeps working", async () => {
    await using b = await testBroker();
    await using c = await RawClient.connect(b.port);
    c.write("{this is not json\n");
    expect(await c.frame()).toMatchObject({ id: null, ok: false, error: { code: "BAD_REQUEST" } });
    c.write("[1,2,3]\n");
    expect(await c.frame()).toMatchObject({ ok: false, error: { code: "BAD_REQUEST" } });
    expect(await c.call({ id: 7, op: "nope" })).toMatchObject({ id: 7, ok: false, error: { code: "BAD_REQUEST" } });
    expect(await c.call({ id: 8, op: "status" })).toMatchObject({ id: 8, ok: true });
  });

  test("bad names get INVALID_NAME; reserved names are refused", async () => {
    await using b = await testBroker();
    await using c = await RawClient.connect(b.port);
    for (const name of ["", "has space", "x".repeat(33), "system", "ALL", "broadcast", "*", "semi;colon"]) {
      const r = await c.call({ id: 1, op: "register", name });
      expect(r).toMatchObject({ ok: false, error: { code: "INVALID_NAME" } });
    }
    expect(await c.call({ id: 2, op: "register", name: "Fred_Smith-2" })).toMatchObject({ ok: true, name: "fred_smith-2" });
  });

  test("ops that need a session answer UNAUTHENTICATED without one or with a bad token", async () => {
    await using b = await testBroker();
    await using c = await RawClient.connect(b.port);
    for (const op of ["send", "check", "broadcast", "history", "rename", "read"]) {
      const r = await c.call({ id: op, op, to: "x", content: "x", new_name: "y", message_id: 1 });
      expect(r).toMatchObject({ id: op, ok: false, error: { code: "UNAUTHENTICATED" } });
    }
    const bad = await c.call({ id: 1, op: "check", token: "not-a-real-token" });
    expect(bad.error.code).toBe("UNAUTHENTICATED");
    expect(JSON.stringify(bad)).not.toContain("not-a-real-token");
    expect(await c.call({ id: 2, op: "auth", token: "nope" })).toMatchObject({ ok: false, error: { code: "UNAUTHENTICATED" } });
  });

  test("an over-size frame gets TOO_LARGE and the connection is closed", async () => {
    await using b = await testBroker({ IPC_MAX_FRAME_BYTES: "65536" });
    await using c = await RawClient.connect(b.port);
    c.write(`{"op":"status","pad":"${"x".repeat(70_000)}"}\n`);
    expect(await c.frame()).toMatchObject({ ok: false, error: { code: "TOO_LARGE" } });
    await c.readToClose();
    expect(c.closed).toBe(true);
    await using other = await RawClient.connect(b.port);
    expect(await other.call({ id: 1, op: "status" })).toMatchObject({ ok: true });
  });
});

describe("messaging", () => {
  test("register → send → check, with data and reply_to; the sender comes from the session", async () => {
    await using b = await testBroker();
    await using fred = await registered(b.port, "fred");
    await using barney = await registered(b.port, "Barney");
    const sent = await fred.call({ id: 2, op: "send", to: "BARNEY", content: "hi", from: "wilma", data: { pr: 42 } });
    expect(sent).toMatchObject({ id: 2, ok: true, to: "barney", status: "queued" });
    const reply = await barney.call({ id: 3, op: "send", to: "fred", content: "yo", reply_to: sent.message_id });
    expect(reply.ok).toBe(true);
    const inbox = await barney.call({ id: 4, op: "check" });
    expect(inbox.messages).toHaveLength(1);
    expect(inbox.messages[0]).toMatchObject({ id: sent.message_id, from: "fred", to: "barney", content: "hi", data: { pr: 42 }, kind: "direct" });
    expect(inbox.messages[0].created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect((await barney.call({ id: 5, op: "check" })).messages).toHaveLength(0);
    const fredInbox = await fred.call({ id: 6, op: "check" });
    expect(fredInbox.messages[0]).toMatchObject({ from: "barney", reply_to: sent.message_id });
  });

  test("peek, from and limit", async () => {
    await using b = await testBroker();
    await using a = await registered(b.port, "a");
    await using c = await registered(b.port, "c");
    await using r = await registered(b.port, "r");
    for (let i = 0; i < 3; i++) await a.call({ id: i, op: "send", to: "r", content: `a${i}` });
    await c.call({ id: 9, op: "send", to: "r", content: "c0" });
    expect((await r.call({ id: 1, op: "check", peek: true })).messages).toHaveLength(4);
    const fromC = await r.call({ id: 2, op: "check", from: "c" });
    expect(fromC.messages.map((m: any) => m.content)).toEqual(["c0"]);
    const two = await r.call({ id: 3, op: "check", limit: 2 });
    expect(two.messages.map((m: any) => m.content)).toEqual(["a0", "a1"]);
    const rest = await r.call({ id: 4, op: "check" });
    expect(rest.messages.map((m: any) => m.content)).toEqual(["a2"]);
  });

  test("future messages wait for a name to be registered", async () => {
    await using b = await testBroker();
    await using a = await registered(b.port, "a");
    expect(await a.call({ id: 1, op: "send", to: "nessa", content: "welcome" })).toMatchObject({ status: "future" });
    await using n = await RawClient.connect(b.port);
    expect(await n.call({ id: 1, op: "register", name: "nessa" })).toMatchObject({ ok: true, queued: 1 });
    expect((await n.call({ id: 2, op: "check" })).messages[0].content).toBe("welcome");
  });

  test("broadcast reaches every registered instance but the sender", async () => {
    await using b = await testBroker();
    const names = ["b1", "b2", "b3", "b4"];
    const clients = await Promise.all(names.map((n) => registered(b.port, n)));
    const r = await clients[0]!.call({ id: 1, op: "broadcast", content: "standup", from: "b2" });
    expect(r).toMatchObject({ ok: true, count: 3 });
    for (const c of clients.slice(1)) {
      const m = (await c.call({ id: 2, op: "check" })).messages;
      expect(m).toHaveLength(1);
      expect(m[0]).toMatchObject({ from: "b1", kind: "broadcast", content: "standup" });
    }
    expect((await clients[0]!.call({ id: 3, op: "check" })).messages).toHaveLength(0);
    for (const c of clients) c.close();
  });

  test("1 000 pipelined requests on one connection each get their own answer", async () => {
    await using b = await testBroker({ IPC_RATE_BURST: "2000" }); // register + 1 000 sends: over the default burst
    await using c = await registered(b.port, "pipe");
    let batch = "";
    for (let i = 0; i < 1000; i++) batch += `${JSON.stringify({ id: i, op: "send", to: "sink", content: `m${i}` })}\n`;
    c.write(batch);
    const answers = await c.frames(1000);
    expect(new Set(answers.map((a) => a.id)).size).toBe(1000);
    expect(answers.every((a) => a.ok === true)).toBe(true);
    const ids = answers.sort((x, y) => x.id - y.id).map((a) => a.message_id);
    expect(new Set(ids).size).toBe(1000);
  });

  test("a 1 MiB message and a 3 MiB check reply arrive whole", async () => {
    await using b = await testBroker({ IPC_LARGE_MESSAGE_BYTES: String(8 * 1024 * 1024) });
    await using s = await registered(b.port, "s");
    await using r = await registered(b.port, "r");
    const big = "é".repeat(512 * 1024); // 1 MiB of UTF-8
    expect(await s.call({ id: 1, op: "send", to: "r", content: big })).toMatchObject({ ok: true });
    const one = await r.call({ id: 2, op: "check" });
    expect(one.messages[0].content).toBe(big);
    const chunk = "x".repeat(900 * 1024);
    for (let i = 0; i < 4; i++) expect((await s.call({ id: 10 + i, op: "send", to: "r", content: chunk })).ok).toBe(true);
    const all = await r.call({ id: 3, op: "check" });
    expect(all.messages).toHaveLength(4);
    expect(all.messages.every((m: any) => m.content === chunk)).toBe(true);
  });

  test("content over the limit is TOO_LARGE and nothing is stored", async () => {
    await using b = await testBroker({ IPC_MAX_CONTENT_BYTES: "1000" });
    await using s = await registered(b.port, "s");
    const r = await s.call({ id: 1, op: "send", to: "s", content: "x".repeat(1001) });
    expect(r).toMatchObject({ ok: false, error: { code: "TOO_LARGE" } });
    expect((await s.call({ id: 2, op: "check" })).messages).toHaveLength(0);
  });

  test("read: sender or recipient only; history lists both directions", async () => {
    await using b = await testBroker();
    await using a = await registered(b.port, "a");
    await using c = await registered(b.port, "c");
    await using x = await registered(b.port, "x");
    const sent = await a.call({ id: 1, op: "send", to: "c", content: "secret plan" });
    await c.call({ id: 2, op: "send", to: "a", content: "ack" });
    expect((await a.call({ id: 3, op: "read", message_id: sent.message_id })).message.content).toBe("secret plan");
    expect((await c.call({ id: 4, op: "read", message_id: sent.message_id })).message).toMatchObject({ content: "secret plan" });
    expect(await x.call({ id: 5, op: "read", message_id: sent.message_id })).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
    const h = await a.call({ id: 6, op: "history" });
    expect(h.messages.map((m: any) => m.content)).toEqual(["ack", "secret plan"]);
    expect((await a.call({ id: 7, op: "history", with: "x" })).messages).toHaveLength(0);
  });

  test("search finds words in messages the caller sent or received, quoting FTS syntax", async () => {
    await using b = await testBroker();
    await using a = await registered(b.port, "a");
    await using c = await registered(b.port, "c");
    await using x = await registered(b.port, "x");
    await a.call({ id: 1, op: "send", to: "c", content: "the deploy failed on staging" });
    await c.call({ id: 2, op: "send", to: "a", content: "staging is green again" });
    await x.call({ id: 3, op: "send", to: "x", content: "staging notes for myself" });
    const hits = await a.call({ id: 4, op: "search", query: "staging" });
    expect(hits.messages.map((m: any) => m.content)).toEqual(["staging is green again", "the deploy failed on staging"]);
    expect((await a.call({ id: 5, op: "search", query: "deploy staging" })).messages).toHaveLength(1);
    expect((await a.call({ id: 6, op: "search", query: 'staging" OR x NEAR(' })).ok).toBe(true);
    expect((await x.call({ id: 7, op: "search", query: "deploy" })).messages).toHaveLength(0);
    expect((await a.call({ id: 8, op: "search", query: "stag\u0000ing" })).error.code).toBe("BAD_REQUEST");
  });

  test("list shows online and unread", async () => {
    await using b = await testBroker();
    await using a = await registered(b.port, "a");
    await using c = await registered(b.port, "c");
    await a.call({ id: 1, op: "send", to: "c", content: "1" });
    await a.call({ id: 2, op: "send", to: "c", content: "2" });
    await using anon = await RawClient.connect(b.port);
    const l = await anon.call({ id: 1, op: "list" });
    expect(l.instances).toEqual([
      { name: "a", last_seen: expect.any(String), online: true, unread: 0 },
      { name: "c", last_seen: expect.any(String), online: true, unread: 2 },
    ]);
  });
});

describe("push", () => {
  test("check with wait is answered the moment a message arrives", async () => {
    await using b = await testBroker();
    await using r = await registered(b.port, "r");
    await using s = await registered(b.port, "s");
    r.send({ id: 2, op: "check", wait: 30 });
    await Bun.sleep(50);
    const t0 = performance.now();
    const sent = await s.call({ id: 3, op: "send", to: "r", content: "ping" });
    expect(sent.status).toBe("delivered");
    const got = await r.frame();
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect(got).toMatchObject({ id: 2, ok: true, messages: [{ content: "ping", from: "s" }] });
    expect((await r.call({ id: 4, op: "check" })).messages).toHaveLength(0);
  });

  test("an empty wait returns empty after its timeout", async () => {
    await using b = await testBroker();
    await using r = await registered(b.port, "r");
    const t0 = performance.now();
    const got = await r.call({ id: 2, op: "check", wait: 0.3 });
    const elapsed = performance.now() - t0;
    expect(got).toMatchObject({ ok: true, messages: [] });
    expect(elapsed).toBeGreaterThanOrEqual(250);
  });

  test("a waiter filtered by from ignores other senders", async () => {
    await using b = await testBroker();
    await using r = await registered(b.port, "r");
    await using s = await registered(b.port, "s");
    await using t = await registered(b.port, "t");
    r.send({ id: 2, op: "check", wait: 30, from: "t" });
    await Bun.sleep(30);
    expect((await s.call({ id: 1, op: "send", to: "r", content: "from s" })).status).toBe("queued");
    expect((await t.call({ id: 1, op: "send", to: "r", content: "from t" })).status).toBe("delivered");
    expect((await r.frame()).messages[0].content).toBe("from t");
  });

  test("subscribe pushes every new message as an event", async () => {
    await using b = await testBroker();
    await using r = await registered(b.port, "r");
    await using s = await registered(b.port, "s");
    expect(await r.call({ id: 2, op: "subscribe" })).toMatchObject({ ok: true });
    await s.call({ id: 1, op: "send", to: "r", content: "one" });
    await s.call({ id: 2, op: "send", to: "r", content: "two" });
    const events = await r.frames(2);
    expect(events.map((e) => [e.event, e.message.content])).toEqual([["message", "one"], ["message", "two"]]);
    // Not consuming: both still unread.
    expect((await r.call({ id: 3, op: "check" })).messages).toHaveLength(2);
  });
});

describe("held checks are always answered", () => {
  test("a client that half-closes after check --wait still gets the message", async () => {
    await using b = await testBroker();
    await using r = await registered(b.port, "r");
    await using s = await registered(b.port, "s");
    r.send({ id: 2, op: "check", wait: 5 });
    await Bun.sleep(30);
    r.shutdownWrite();
    await Bun.sleep(30);
    await s.call({ id: 1, op: "send", to: "r", content: "after your FIN" });
    const text = await r.readToClose();
    expect(JSON.parse(text.trim())).toMatchObject({ id: 2, ok: true, messages: [{ content: "after your FIN" }] });
  });

  test("registering another name on the connection answers the held check (empty)", async () => {
    await using b = await testBroker();
    await using c = await registered(b.port, "first");
    c.send({ id: 2, op: "check", wait: 30 });
    await c.call({ id: 3, op: "whoami" });
    c.send({ id: 4, op: "register", name: "second" });
    const answers = await c.frames(2);
    expect(answers.find((a) => a.id === 2)).toMatchObject({ ok: true, messages: [] });
    expect(answers.find((a) => a.id === 4)).toMatchObject({ ok: true, name: "second" });
  });
});

describe("push: who takes a message", () => {
  test("a peeking waiter and a consuming watcher: both see it, and it counts as read", async () => {
    await using b = await testBroker();
    await using watcher = await registered(b.port, "bob");
    await using mcp = await registered(b.port, "bob"); // a second session of bob, as an MCP server would hold
    await using alice = await registered(b.port, "alice");
    expect((await watcher.call({ id: 2, op: "subscribe", consume: true })).ok).toBe(true);
    mcp.send({ id: 3, op: "check", wait: 10, peek: true });
    await mcp.call({ id: 4, op: "whoami" }); // the check is held now
    expect((await alice.call({ id: 5, op: "send", to: "bob", content: "hi bob" })).status).toBe("delivered");
    expect((await watcher.frame()).message.content).toBe("hi bob");
    expect((await mcp.frame()).messages[0].content).toBe("hi bob");
    expect((await mcp.call({ id: 6, op: "check" })).messages).toEqual([]);
  });

  test("every peeking waiter sees a message (a stale one left by a cancelled call too); the oldest consuming waiter takes it", async () => {
    await using b = await testBroker();
    await using stale = await registered(b.port, "bob"); // a wait whose caller gave up: still held
    await using peeker = await registered(b.port, "bob");
    await using taker = await registered(b.port, "bob");
    await using second = await registered(b.port, "bob");
    await using alice = await registered(b.port, "alice");
    for (const [c, peek] of [[stale, true], [peeker, true], [taker, false], [second, false]] as const) {
      c.send({ id: 7, op: "check", wait: 10, peek });
      await c.call({ id: 8, op: "whoami" }); // held now
    }
    expect((await alice.call({ id: 1, op: "send", to: "bob", content: "for all" })).status).toBe("delivered");
    for (const c of [stale, peeker, taker]) expect((await c.frame()).messages[0].content).toBe("for all");
    // Taken (read) by the consuming waiter: the other consuming waiter still waits, for the next one.
    expect((await alice.call({ id: 2, op: "send", to: "bob", content: "next" })).status).toBe("delivered");
    expect((await second.frame()).messages[0].content).toBe("next");
    expect((await peeker.call({ id: 9, op: "check" })).messages).toEqual([]);
  });

  test("a peeking waiter does not get around a full inbox", async () => {
    await using b = await testBroker({ IPC_MAX_UNREAD: "1" });
    await using bob = await registered(b.port, "bob");
    await using alice = await registered(b.port, "alice");
    expect((await alice.call({ id: 1, op: "send", to: "bob", content: "fills it" })).ok).toBe(true);
    bob.send({ id: 2, op: "check", wait: 10, peek: true, from: "carol" });
    await bob.call({ id: 3, op: "whoami" });
    await using carol = await registered(b.port, "carol");
    expect((await carol.call({ id: 4, op: "send", to: "bob", content: "one more" })).error.code).toBe("INBOX_FULL");
  });
});

describe("shared secret", () => {
  const SECRET = "correct horse battery staple";

  test("registration needs an HMAC proof over this connection's nonce; replays are refused", async () => {
    await using b = await testBroker({ IPC_SHARED_SECRET: SECRET });
    await using c = await RawClient.connect(b.port, undefined, { authenticate: false });
    expect(await c.call({ id: 1, op: "register", name: "fred" })).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
    const { nonce, secure } = await c.call({ id: 2, op: "hello" });
    expect(secure).toBe(true);
    expect(await c.call({ id: 3, op: "register", name: "fred", auth: hmacProof("wrong", nonce, "fred") })).toMatchObject({
      ok: false,
      error: { code: "FORBIDDEN" },
    });
    const { nonce: n2 } = await c.call({ id: 4, op: "hello" });
    const proof = hmacProof(SECRET, n2, "fred");
    expect(await c.call({ id: 5, op: "register", name: "Fred", auth: proof })).toMatchObject({ ok: true, name: "fred" });
    // This connection proved the secret: it may register more names. The same proof on another connection is refused.
    expect((await c.call({ id: 6, op: "register", name: "wilma" })).ok).toBe(true);
    await using other = await RawClient.connect(b.port, undefined, { authenticate: false });
    await other.call({ id: 1, op: "hello" });
    expect((await other.call({ id: 2, op: "register", name: "fred", auth: proof })).error.code).toBe("FORBIDDEN");
  });

  test("a proof for registering the name \"shutdown\" does not stop the broker (op proofs sign op:…)", async () => {
    await using b = await testBroker({ IPC_SHARED_SECRET: SECRET });
    await using c = await RawClient.connect(b.port, undefined, { authenticate: false });
    const { nonce } = await c.call({ id: 1, op: "hello" });
    expect((await c.call({ id: 2, op: "shutdown", auth: hmacProof(SECRET, nonce, "shutdown") })).error.code).toBe("FORBIDDEN");
    const { nonce: n2 } = await c.call({ id: 3, op: "hello" });
    expect((await c.call({ id: 4, op: "verify", auth: hmacProof(SECRET, n2, "verify") })).ok).toBe(false);
    const { nonce: n3 } = await c.call({ id: 5, op: "hello" });
    expect((await c.call({ id: 6, op: "verify", auth: hmacProof(SECRET, n3, "op:verify") })).ok).toBe(true);
    // verify checks a proof and nothing else: the connection is still unauthenticated.
    expect((await c.call({ id: 7, op: "status" })).error.code).toBe("UNAUTHENTICATED");
  });
});
