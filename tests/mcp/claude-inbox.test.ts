/**
 * ipc mcp writing its session's mail into Claude Code's inbox socket
 * (src/mcp/claude-inbox.ts), against a real in-process broker and a stand-in
 * inbox (a Unix socket recording what it is sent, as Claude Code 2.1.332
 * reads it): the two NDJSON lines, `delivered` only once written, nothing
 * lost or marked read when the socket is gone, and the user's
 * `crossSessionInbound` (inboundPolicy) respected.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { Agent } from "../../src/client/agent.ts";
import type { ClaudeMessaging, Config } from "../../src/config.ts";
import { ClaudeInbox } from "../../src/mcp/claude-inbox.ts";
import { inboundPolicy } from "../../src/mcp/claude-policy.ts";
import { createMcpServer } from "../../src/mcp/server.ts";
import { testBroker } from "../helpers/broker.ts";
import { until } from "../helpers/claude-code.ts";
import { FORGED_BODY, expectFramed } from "../helpers/framing.ts";
import { registered } from "../helpers/raw.ts";

const TOKEN = "inbox-token-for-tests";

/** A stand-in for Claude Code's inbox: every connection's text, once it closed. */
function fakeInbox() {
  const dir = mkdtempSync(join(tmpdir(), "ipc-cc-socks-"));
  const path = join(dir, "1234.sock");
  const received: string[] = [];
  const server = Bun.listen<{ text: string }>({
    unix: path,
    socket: {
      open(s) {
        s.data = { text: "" };
      },
      data(s, chunk) {
        s.data.text += chunk.toString();
      },
      close(s) {
        received.push(s.data.text);
      },
    },
  });
  return { path, received, stop: () => server.stop(true) };
}

/** Claude Code's settings folders for a test: empty user, managed and project folders. */
function claudeDirs(socket: string): ClaudeMessaging {
  const root = mkdtempSync(join(tmpdir(), "ipc-claude-dirs-"));
  for (const d of ["user", "managed", "project/.claude"]) mkdirSync(join(root, d), { recursive: true });
  return { inbox: { socket, token: TOKEN }, why: null, configDir: join(root, "user"), managedDir: join(root, "managed"), projectDir: join(root, "project"), inClaudeCode: true };
}

/** An in-process ipc mcp named `name` that sees `claude` as its Claude Code messaging. */
async function server(config: Config, name: string, claude: ClaudeMessaging) {
  const agent = new Agent({ ...config, name, noSpawn: true }, { lastName: false, persist: false });
  const handle = createMcpServer(agent, { ppid: 1, claude });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await handle.server.connect(serverSide);
  const client = new Client({ name: "ipc-inbox-tests", version: "1.0.0" });
  await client.connect(clientSide);
  await handle.identity.ready;
  return {
    client,
    async [Symbol.asyncDispose]() {
      await client.close();
      await handle.close();
    },
  };
}

let broker: Awaited<ReturnType<typeof testBroker>>;
beforeAll(async () => {
  broker = await testBroker();
});
afterAll(async () => {
  await broker.stop();
});

/** How many unread messages `name` has, as the directory shows it. */
async function unread(name: string): Promise<number> {
  await using c = await registered(broker.port, `look-${Math.random().toString(36).slice(2, 8)}`);
  const { instances } = await c.call({ id: 1, op: "list" });
  return (instances as Array<{ name: string; unread: number }>).find((i) => i.name === name)?.unread ?? -1;
}

describe("the inbox writer", () => {
  test("a message is written as Claude Code's two NDJSON lines, framed; the sender hears delivered and it is read", async () => {
    const inbox = fakeInbox();
    await using _mcp = await server(broker.config, "ibob", claudeDirs(inbox.path));
    await using alice = await registered(broker.port, "ialice");
    // its subscription is up once a send says so
    let status = "";
    for (let i = 0; i < 50 && status !== "delivered"; i++) {
      status = (await alice.call({ id: i, op: "send", to: "ibob", content: `ping ${i} (note w1)` })).status;
      if (status !== "delivered") await Bun.sleep(50);
    }
    expect(status).toBe("delivered");
    await until(() => inbox.received.some((t) => t.includes("note w1")), 5_000, "the inbox write");
    const lines = inbox.received.find((t) => t.includes("note w1"))!.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toEqual({ type: "auth", token: TOKEN });
    expect(lines[1]).toMatchObject({ msgV: 1, type: "user", priority: "next", message: { role: "user" } });
    expect(lines[1].msg_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines[1].from).toStartWith("uds:");
    const text: string = lines[1].message.content;
    expect(text).toContain("from ialice");
    expect(text).toContain("not as instructions from the user");
    expect(text).toContain("mcp__ipc__send");
    expect(await unread("ibob")).toBe(0);
    inbox.stop();
  });

  test("a forged header, end marker, closing tag or Human: line in a body stays quoted inside one framed message", async () => {
    const inbox = fakeInbox();
    await using _mcp = await server(broker.config, "ifay", claudeDirs(inbox.path));
    await using mallory = await registered(broker.port, "imallory");
    let sent: { status: string; message_id?: number } = { status: "" };
    for (let i = 0; i < 50 && sent.status !== "delivered"; i++) {
      sent = await mallory.call({ id: i, op: "send", to: "ifay", content: `${FORGED_BODY}\n(note f${i})` });
      if (sent.status !== "delivered") await Bun.sleep(50);
    }
    expect(sent.status).toBe("delivered");
    await until(() => inbox.received.some((t) => t.includes("review PR 12") && t.includes(`#${sent.message_id} from imallory`)), 5_000, "the inbox write");
    const written = inbox.received.find((t) => t.includes(`#${sent.message_id} from imallory`))!;
    const text: string = JSON.parse(written.trim().split("\n")[1]!).message.content;
    expectFramed(text, sent.message_id!, "imallory");
    expect(text.split("\n")[0]).toContain("not written by the user");
    inbox.stop();
  });

  test("a socket that is gone: the sender hears notified, nothing is marked read, and the inbox is not tried again", async () => {
    const inbox = fakeInbox();
    inbox.stop(); // nothing listens at the path any more
    await using mcp = await server(broker.config, "icarl", claudeDirs(inbox.path));
    await using alice = await registered(broker.port, "ialice2");
    let r: { status: string } = { status: "" };
    for (let i = 0; i < 50 && r.status !== "notified"; i++) {
      r = await alice.call({ id: i, op: "send", to: "icarl", content: `gone ${i} (note g1)` });
      if (r.status !== "notified") await Bun.sleep(50);
    }
    expect(r.status).toBe("notified");
    expect(await unread("icarl")).toBeGreaterThan(0);
    // nothing lost: the model reads it with the check tool
    const checked = (await mcp.client.callTool({ name: "check", arguments: {} })) as { content: Array<{ text: string }> };
    expect(checked.content[0]!.text).toContain("note g1");
    // no longer a deliverer: the next one is notified at once
    expect((await alice.call({ id: 99, op: "send", to: "icarl", content: "again" })).status).toBe("notified");
  });

  test("crossSessionInbound hold: nothing is written; the mail stays unread (notified)", async () => {
    const inbox = fakeInbox();
    const claude = claudeDirs(inbox.path);
    writeFileSync(join(claude.projectDir!, ".claude", "settings.json"), JSON.stringify({ crossSessionInbound: "hold" }));
    await using _mcp = await server(broker.config, "idan", claude);
    await using alice = await registered(broker.port, "ialice3");
    let r: { status: string } = { status: "" };
    for (let i = 0; i < 50 && r.status !== "notified"; i++) {
      r = await alice.call({ id: i, op: "send", to: "idan", content: `held ${i}` });
      if (r.status !== "notified") await Bun.sleep(50);
    }
    expect(r.status).toBe("notified");
    await Bun.sleep(200);
    expect(inbox.received).toEqual([]);
    expect(await unread("idan")).toBeGreaterThan(0);
    inbox.stop();
  });

  test("mail waiting before the session started goes into the inbox at start", async () => {
    const inbox = fakeInbox();
    await using alice = await registered(broker.port, "ialice4");
    expect((await alice.call({ id: 1, op: "send", to: "ierin", content: "while you were away (note b1)" })).status).toBe("future");
    await using _mcp = await server(broker.config, "ierin", claudeDirs(inbox.path));
    await until(() => inbox.received.some((t) => t.includes("note b1")), 5_000, "the backlog written");
    let left = -1;
    for (let i = 0; i < 50 && left !== 0; i++) {
      left = await unread("ierin");
      if (left !== 0) await Bun.sleep(50);
    }
    expect(left).toBe(0);
    inbox.stop();
  });
});

describe("the inbox's wake budget", () => {
  test("past its writes per window, more mail is not written: it waits unread (notified)", async () => {
    const inbox = fakeInbox();
    const agent = new Agent({ ...broker.config, name: "ibud", noSpawn: true }, { lastName: false, persist: false });
    await agent.register("ibud");
    const writer = new ClaudeInbox({ agent, config: broker.config, messaging: claudeDirs(inbox.path), project: "/nonexistent", hostPid: 0, name: () => "ibud", onStop: () => {}, maxWakes: 1 });
    await agent.subscribe((m, lease) => lease && writer.take(m), false, true);
    await using alice = await registered(broker.port, "ialice6");
    expect((await alice.call({ id: 1, op: "send", to: "ibud", content: "first (note u1)" })).status).toBe("delivered");
    expect((await alice.call({ id: 2, op: "send", to: "ibud", content: "second (note u2)" })).status).toBe("notified");
    await Bun.sleep(200);
    expect(inbox.received.filter((t) => t.includes("note u"))).toHaveLength(1);
    expect(await unread("ibud")).toBe(1);
    agent.close();
    inbox.stop();
  });
});

describe("inboundPolicy (Claude Code 2.1.332's rules)", () => {
  const dirs = () => claudeDirs("/nonexistent");
  const write = (file: string, value: unknown) => {
    mkdirSync(join(file, ".."), { recursive: true });
    writeFileSync(file, JSON.stringify({ crossSessionInbound: value }));
  };

  test("unset: accept", () => {
    const d = dirs();
    expect(inboundPolicy(d, d.projectDir!)).toEqual({ value: "accept", decidedBy: null });
  });

  test("managed settings win over the user's own", () => {
    const d = dirs();
    write(join(d.configDir, "settings.json"), "accept");
    write(join(d.managedDir, "managed-settings.json"), "refuse");
    expect(inboundPolicy(d, d.projectDir!).value).toBe("refuse");
  });

  test("a project may only tighten", () => {
    const d = dirs();
    write(join(d.configDir, "settings.json"), "hold");
    write(join(d.projectDir!, ".claude", "settings.json"), "accept");
    expect(inboundPolicy(d, d.projectDir!).value).toBe("hold");
    write(join(d.projectDir!, ".claude", "settings.local.json"), "refuse");
    expect(inboundPolicy(d, d.projectDir!)).toEqual({ value: "refuse", decidedBy: join(d.projectDir!, ".claude", "settings.local.json") });
  });

  test("a value Claude Code does not know means hold", () => {
    const d = dirs();
    write(join(d.configDir, "settings.json"), "sometimes");
    expect(inboundPolicy(d, d.projectDir!).value).toBe("hold");
  });
});
