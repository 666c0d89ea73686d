/** Limits with clear errors: rate, connections, idle and slow clients, over-size frames, bounded memory. */
import { expect, test } from "bun:test";
import { legacyProof } from "../../src/protocol/auth.ts";
import { testBroker } from "../helpers/broker.ts";
import { ipcEnv, startBrokerProcess } from "../helpers/processes.ts";
import { RawClient, registered } from "../helpers/raw.ts";

test("the per-session rate limit trips with retry_after_ms and recovers", async () => {
  await using b = await testBroker({ IPC_RATE_LIMIT: "600", IPC_RATE_BURST: "5" }); // 10/s steady, 5 at once
  await using c = await RawClient.connect(b.port);
  expect((await c.call({ id: 0, op: "register", name: "busy" })).ok).toBe(true);
  const answers = [];
  for (let i = 1; i <= 10; i++) answers.push(await c.call({ id: i, op: "whoami" }));
  const limited = answers.filter((a) => a.ok === false);
  expect(limited.length).toBeGreaterThanOrEqual(4);
  expect(limited[0].error.code).toBe("RATE_LIMITED");
  expect(limited[0].error.retry_after_ms).toBeGreaterThan(0);
  expect(limited[0].error.retry_after_ms).toBeLessThanOrEqual(100);
  await Bun.sleep(limited.at(-1).error.retry_after_ms + 20);
  expect((await c.call({ id: 99, op: "whoami" })).ok).toBe(true);
});

test("connections over the limit are refused politely; others keep working", async () => {
  await using b = await testBroker({ IPC_MAX_CONNECTIONS: "3" });
  const held = await Promise.all([1, 2, 3].map(() => RawClient.connect(b.port)));
  for (const h of held) expect((await h.call({ id: 1, op: "hello" })).ok).toBe(true);
  await using extra = await RawClient.connect(b.port);
  const refusal = await extra.frame();
  expect(refusal).toMatchObject({ id: null, ok: false, error: { code: "RATE_LIMITED" } });
  expect(refusal.error.message).toContain("IPC_MAX_CONNECTIONS");
  await extra.readToClose();
  held[0]!.close();
  await Bun.sleep(50);
  await using again = await RawClient.connect(b.port);
  expect((await again.call({ id: 2, op: "status" })).ok).toBe(true);
  for (const h of held) h.close();
});

test("unauthenticated idle connections are closed; registered ones stay", async () => {
  await using b = await testBroker({ IPC_IDLE_TIMEOUT: "1" });
  await using idle = await RawClient.connect(b.port);
  await using bound = await RawClient.connect(b.port);
  expect((await bound.call({ id: 1, op: "register", name: "stays" })).ok).toBe(true);
  await Bun.sleep(2_500);
  expect(idle.closed).toBe(true);
  expect(bound.closed).toBe(false);
  expect((await bound.call({ id: 2, op: "whoami" })).name).toBe("stays");
});

test("a slow writer cannot hold a partial frame open (slowloris)", async () => {
  await using b = await testBroker({ IPC_IDLE_TIMEOUT: "1" });
  await using slow = await RawClient.connect(b.port);
  expect((await slow.call({ id: 1, op: "register", name: "slow" })).ok).toBe(true);
  const t0 = performance.now();
  slow.write('{"id":2,"op":"check"');
  for (let i = 0; i < 30 && !slow.closed; i++) {
    slow.write(" ");
    await Bun.sleep(100);
  }
  expect(slow.closed).toBe(true);
  expect(performance.now() - t0).toBeLessThan(3_000);
});

test("over-size frames and slow partial frames are cut off and the broker's memory stays bounded", async () => {
  const e = ipcEnv({ IPC_IDLE_TIMEOUT: "1", IPC_MAX_FRAME_BYTES: String(1024 * 1024) });
  await using broker = await startBrokerProcess(e);
  const rss = async () => {
    const status = await Bun.file(`/proc/${broker.proc.pid}/status`).text();
    return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) * 1024;
  };
  const before = await rss();
  const junk = "x".repeat(256 * 1024);
  for (let round = 0; round < 5; round++) {
    const clients = await Promise.all(Array.from({ length: 20 }, () => RawClient.connect(e.port)));
    // Each client streams 2 MiB with no newline: over the 1 MiB frame limit.
    for (const c of clients) for (let i = 0; i < 8; i++) c.write(junk);
    const replies = await Promise.all(clients.map((c) => c.frame()));
    for (const r of replies) expect(r.error.code).toBe("TOO_LARGE");
    await Promise.all(clients.map((c) => c.readToClose()));
  }
  const after = await rss();
  // 100 clients pushed 200 MiB in total; the broker held at most one frame per connection at a time.
  expect(after - before).toBeLessThan(96 * 1024 * 1024);
  await using ok = await RawClient.connect(e.port);
  expect((await ok.call({ id: 1, op: "status" })).ok).toBe(true);
});

test("incomplete frames of all connections together are bounded (IPC_MAX_HELD_INPUT_BYTES)", async () => {
  await using b = await testBroker({ IPC_MAX_FRAME_BYTES: String(1024 * 1024), IPC_MAX_HELD_INPUT_BYTES: String(3 * 1024 * 1024) });
  const part = "y".repeat(900 * 1024);
  const clients = await Promise.all([1, 2, 3, 4].map(() => RawClient.connect(b.port)));
  for (const c of clients.slice(0, 3)) c.write(`{"op":"status","pad":"${part}`);
  await Bun.sleep(100);
  const last = clients[3]!;
  last.write(`{"op":"status","pad":"${part}`);
  const refusal = await last.frame();
  expect(refusal.error.code).toBe("TOO_LARGE");
  expect(refusal.error.message).toContain("unfinished input");
  await last.readToClose();
  // Closing connections gives their share back.
  for (const c of clients.slice(0, 3)) c.close();
  await Bun.sleep(100);
  await using again = await RawClient.connect(b.port);
  again.send({ id: 1, op: "status", pad: part });
  expect((await again.frame()).ok).toBe(true);
});

test("the rate limit is per session: new connections carrying the same token share it, legacy ones too", async () => {
  await using b = await testBroker({ IPC_RATE_LIMIT: "60", IPC_RATE_BURST: "3" });
  await using owner = await RawClient.connect(b.port);
  const { token } = await owner.call({ id: 0, op: "register", name: "spread" });
  const codes: string[] = [];
  for (let i = 0; i < 6; i++) {
    await using c = await RawClient.connect(b.port);
    const r = await c.call({ id: i, op: "whoami", token });
    codes.push(r.ok ? "ok" : r.error.code);
  }
  expect(codes.filter((c) => c === "RATE_LIMITED").length).toBeGreaterThanOrEqual(3);
  await using legacy = await RawClient.connect(b.port);
  legacy.write(JSON.stringify({ action: "check", session_token: token }));
  const reply = JSON.parse(await legacy.readToClose());
  expect(reply).toMatchObject({ status: "error" });
  expect(reply.message).toContain("Rate limit exceeded");
});

test("data nested deeper than 64 levels is refused (v2 and legacy); 64 levels arrive and come back", async () => {
  await using b = await testBroker();
  await using fred = await RawClient.connect(b.port);
  const { token } = await fred.call({ id: 0, op: "register", name: "fred" });
  const nest = (levels: number) => {
    let d: Record<string, unknown> = {};
    for (let i = 1; i < levels; i++) d = { d };
    return d;
  };
  // Built as text: JSON.stringify itself cannot go this deep.
  fred.write(`{"id":1,"op":"send","to":"barney","content":"x","data":${'{"d":'.repeat(40_000)}{}${"}".repeat(40_000)}}\n`);
  const deep = await fred.frame();
  expect(deep).toMatchObject({ ok: false, error: { code: "BAD_REQUEST" } });
  expect(deep.error.message).toContain("deeper than 64 levels");
  expect((await fred.call({ id: 2, op: "send", to: "barney", content: "x", data: nest(65) })).ok).toBe(false);
  expect((await fred.call({ id: 3, op: "send", to: "barney", content: "ok", data: nest(64) })).ok).toBe(true);

  await using legacy = await RawClient.connect(b.port);
  legacy.write(`{"action":"send","session_token":"${token}","to_id":"barney","message":{"content":"x","data":${'{"d":'.repeat(40_000)}{}${"}".repeat(40_000)}}}`);
  expect(JSON.parse(await legacy.readToClose())).toMatchObject({ status: "error" });

  await using barney = await registered(b.port, "barney");
  const inbox = await barney.call({ id: 4, op: "check" });
  expect(inbox.messages.map((m: { content: string }) => m.content)).toEqual(["ok"]);
  expect(JSON.stringify(inbox.messages[0].data).split("{").length - 1).toBe(64);
});

test("registering the name again does not reset its rate allowance (v2 and legacy)", async () => {
  await using b = await testBroker({ IPC_RATE_LIMIT: "60", IPC_RATE_BURST: "3", IPC_SHARED_SECRET: "s" });
  const codes: string[] = [];
  for (let i = 0; i < 4; i++) {
    await using c = await RawClient.connect(b.port);
    const r = await c.call({ id: 0, op: "register", name: "again" });
    if (!r.ok) {
      codes.push(r.error.code);
      continue;
    }
    const w = await c.call({ id: 1, op: "whoami" });
    codes.push(w.ok ? "ok" : w.error.code);
  }
  expect(codes.filter((c) => c === "ok").length).toBe(1); // register + whoami use 2 of the 3; then the name is out
  expect(codes).toContain("RATE_LIMITED");
  await using legacy = await RawClient.connect(b.port);
  legacy.write(JSON.stringify({ action: "register", instance_id: "again", auth_token: legacyProof("again", "s") }));
  expect(JSON.parse(await legacy.readToClose()).message).toContain("Rate limit exceeded");
  // Other names are not affected.
  await using other = await RawClient.connect(b.port);
  expect((await other.call({ id: 0, op: "register", name: "other" })).ok).toBe(true);
});

test("a client that never reads is held (backpressure); a reply the shared budget cannot hold is refused before it is built", async () => {
  await using b = await testBroker({ IPC_MAX_HELD_OUTPUT_BYTES: String(Math.round(2.5 * 1024 * 1024)) });
  await using sender = await registered(b.port, "big");
  const { message_id } = await sender.call({ id: 1, op: "send", to: "big", content: "x".repeat(1024 * 1024) });
  const huge = await sender.call({ id: 2, op: "send", to: "big", content: "y", data: { pad: "z".repeat(2_400_000) } });
  // A client that asks for the 1 MiB message again and again and never reads the answers.
  const { createConnection } = await import("node:net");
  const hog = createConnection({ host: "127.0.0.1", port: b.port });
  await new Promise((r) => hog.once("connect", r));
  hog.on("error", () => {});
  hog.pause();
  const token = (await sender.call({ id: 3, op: "register", name: "big" })).token;
  let frames = "";
  for (let i = 0; i < 40; i++) frames += `${JSON.stringify({ id: i, op: "read", message_id, token })}\n`;
  hog.write(frames);
  const held = () => [...b.broker.connections].find((c) => c.held);
  const settled = () => held() !== undefined && b.broker.outputBudget.held > 1024 * 1024;
  for (let i = 0; i < 100 && !settled(); i++) await Bun.sleep(50);
  // Its requests wait: the broker holds about one reply for it, not 40.
  const hogConn = held()!;
  expect(hogConn).toBeDefined();
  expect(hogConn.queuedFrames).toBeGreaterThan(0);
  expect(b.broker.outputBudget.held).toBeGreaterThan(1024 * 1024);
  expect(b.broker.outputBudget.held).toBeLessThan(2.5 * 1024 * 1024);
  // Everyone else is still served; a 2.4 MB reply does not fit what the hog leaves of 2.5 MiB: refused, not built.
  expect((await sender.call({ id: 4, op: "status" })).ok).toBe(true);
  const refused = await sender.call({ id: 5, op: "read", message_id: huge.message_id });
  expect(refused).toMatchObject({ ok: false, error: { code: "RATE_LIMITED" } });
  expect(refused.error.message).toContain("IPC_MAX_HELD_OUTPUT_BYTES");
  // Once the hog is gone, its queue is dropped at once and the reply fits.
  hog.destroy();
  for (let i = 0; i < 100 && b.broker.outputBudget.held > 0; i++) await Bun.sleep(20);
  expect(b.broker.outputBudget.held).toBe(0);
  const served = await sender.call({ id: 6, op: "read", message_id: huge.message_id });
  expect(served.message.data.pad.length).toBe(2_400_000);
});

test("a broadcast costs one request per recipient (at most a burst); refused, it sends nothing", async () => {
  await using b = await testBroker({ IPC_RATE_LIMIT: "60", IPC_RATE_BURST: "6" });
  for (const name of ["r1", "r2", "r3", "r4"]) (await registered(b.port, name)).close();
  await using s = await registered(b.port, "loud"); // register: 1 of 6
  const first = await s.call({ id: 1, op: "broadcast", content: "to all" }); // 1 + 3 more: 5 of 6
  expect(first).toMatchObject({ ok: true, count: 4 });
  const second = await s.call({ id: 2, op: "broadcast", content: "again" });
  expect(second).toMatchObject({ ok: false, error: { code: "RATE_LIMITED" } });
  expect(second.error.message).toContain("a broadcast to 4 instances");
  await using r1 = await registered(b.port, "r1");
  expect((await r1.call({ id: 3, op: "check" })).messages.map((m: { content: string }) => m.content)).toEqual(["to all"]);
});
