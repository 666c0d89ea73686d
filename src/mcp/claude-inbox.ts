/**
 * Claude Code's own inbox (docs/wake.md#claude-code-the-sessions-own-inbox).
 * An interactive Claude Code (2.1.224 and later) listens on a Unix socket
 * for messages from other sessions and exports its path and a token to its
 * children (CLAUDE_CODE_MESSAGING_SOCKET, CLAUDE_CODE_MESSAGING_TOKEN). A
 * child delivers a message into its own session by connecting and writing two
 * NDJSON lines, then closing:
 *
 *   {"type":"auth","token":"<token>"}
 *   {"msgV":1,"msg_id":"<uuid>","type":"user","message":{"role":"user","content":"<text>"},"priority":"next","from":"uds:<path>"}
 *
 * An idle session then starts a turn; a busy one takes it between tool calls
 * (`priority: "next"`); the transcript shows the text. Claude Code sends no
 * answer on the socket (a bad token is dropped silently), so a write that
 * connected and flushed counts as delivered. Format verified against Claude
 * Code 2.1.332 (see also the public project ExaDev/cc-peer, docs/PROTOCOL.md).
 *
 * ipc mcp, a child of Claude Code, subscribes as a deliverer: the broker
 * leases each new message to it; it writes the message to the socket and
 * acks it (read, the sender hears `delivered`). Where it cannot — no socket,
 * the user's `crossSessionInbound` is `hold` or `refuse`, the socket gone or
 * refusing — it acks "not delivered", so the mail stays unread and goes to the
 * next path (the asyncRewake wake hook, else the next turn), and it stops
 * being a deliverer for the rest of its life (the breaker). Like the wake
 * hook it has a wake budget: past DEFAULT_MAX_WAKES writes in WAKE_WINDOW_MS
 * (agents waking each other) more mail waits, unread, until the window
 * allows it again.
 */
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import type { Agent } from "../client/agent.ts";
import { type ClaudeMessaging, type Config, paths } from "../config.ts";
import { isAlive, writePrivate } from "../home/files.ts";
import { HOOK_MESSAGE_LIMIT } from "../hook/claude-code.ts";
import { hookContext } from "../hook/context.ts";
import { DEFAULT_MAX_WAKES } from "../hook/wake.ts";
import { WAKE_WINDOW_MS } from "../hook/wake-slot.ts";
import type { Message } from "../protocol/message.ts";
import { type InboundPolicy, inboundPolicy, policyText } from "./claude-policy.ts";
import { log } from "./log.ts";

/** Longest connect + write into the inbox socket (ms): under the broker's lease (LEASE_MS, 5 s). */
export const INBOX_WRITE_MS = 1_000;

/** How a woken model answers: the tool reaches any agent, unlike Claude Code's own SendMessage. */
export const INBOX_ANSWER =
  "Answer with the ipc send tool (mcp__ipc__send; if your tool list lacks it, load it with ToolSearch select:mcp__ipc__send) — " +
  "not SendMessage, which reaches Claude sessions only — or run `ipc send NAME MESSAGE`.";

/**
 * Writes `text` into the inbox at `inbox.socket` as one user message.
 * Resolves once both lines are flushed; rejects (Error naming the cause) when it
 * cannot connect or write within `timeoutMs`.
 */
export function writeInbox(inbox: { socket: string; token: string }, text: string, from: string, timeoutMs = INBOX_WRITE_MS): Promise<void> {
  const lines =
    `${JSON.stringify({ type: "auth", token: inbox.token })}\n` +
    `${JSON.stringify({ msgV: 1, msg_id: crypto.randomUUID(), type: "user", message: { role: "user", content: text }, priority: "next", from })}\n`;
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) {
        socket.destroy();
        reject(err);
      } else resolve();
    };
    const socket = connect(inbox.socket, () => {
      socket.end(lines, () => {
        finish();
        // Claude Code closes its end once it has read the lines; a peer that does not is let go shortly after.
        setTimeout(() => socket.destroy(), 1_000).unref?.();
      });
    });
    socket.on("error", (err) => finish(new Error(`Claude Code's inbox ${inbox.socket}: ${err.message}`)));
    const timer = setTimeout(() => finish(new Error(`Claude Code's inbox ${inbox.socket} took over ${timeoutMs} ms`)), timeoutMs);
  });
}

/** Which path this server's session mail takes, as recorded for ipc doctor in $IPC_HOME/inbox/<host pid>.json. */
export interface InboxRecord {
  pid: number;
  host_pid: number;
  name: string | null;
  path: "inbox" | "fallback";
  why: string;
  at: string;
}

export interface ClaudeInboxOptions {
  agent: Agent;
  config: Config;
  messaging: ClaudeMessaging;
  /** The session's project folder (for the project's settings). */
  project: string;
  /** Claude Code's process (0 or less: nothing recorded). */
  hostPid: number;
  /** The name this server acts as now. */
  name: () => string | null;
  /** Called once when the inbox stops being the path (re-subscribe without delivering). */
  onStop: () => void;
  /** At most this many writes per WAKE_WINDOW_MS (default DEFAULT_MAX_WAKES). */
  maxWakes?: number;
}

/** Delivers leased messages into Claude Code's inbox, one write per batch, in order. */
export class ClaudeInbox {
  /** True while this server delivers into the inbox. */
  active: boolean;
  private readonly queue: Message[] = [];
  private running = false;
  /** When the recent writes happened (ms since the epoch), for the wake budget. */
  private readonly writes: number[] = [];
  private retry: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly o: ClaudeInboxOptions) {
    const why = this.blocker();
    this.active = why === null;
    this.record(why ?? `writes into Claude Code's own inbox ${o.messaging.inbox!.socket}; ${policyText(this.policy())}`);
    if (why !== null) log(`session mail does not go into Claude Code's inbox: ${why}`);
  }

  private policy(): InboundPolicy {
    return inboundPolicy(this.o.messaging, this.o.project);
  }

  /** Why the inbox cannot be used now, or null. */
  private blocker(): string | null {
    if (this.o.messaging.inbox === null) return this.o.messaging.why ?? "no inbox";
    const p = this.policy();
    if (p.value !== "accept") return `${policyText(p)}: Claude Code would ${p.value === "hold" ? "hold the mail for review" : "drop the mail"}, so it waits unread for the wake hook or the next turn`;
    return null;
  }

  /** Takes a message leased to this server; it is written with whatever else is queued. */
  take(m: Message): void {
    this.queue.push(m);
    if (!this.running) void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      for (let round = 0; this.queue.length > 0 && round < 10_000; round++) {
        const batch = this.queue.splice(0, HOOK_MESSAGE_LIMIT);
        const ids = batch.map((m) => m.id);
        const why = this.active ? this.blocker() : "the inbox is no longer used";
        const allowed = this.nextWriteAt();
        if (why === null && allowed > Date.now()) {
          // Over the wake budget: the mail waits, unread (a wake hook may take it), and is asked for again later.
          await this.ack(ids, false);
          this.retryAt(allowed);
          continue;
        }
        if (why === null) {
          try {
            const text = hookContext(this.o.name() ?? batch[0]!.to, batch, 0, INBOX_ANSWER);
            await writeInbox(this.o.messaging.inbox!, text, `uds:ipc/${batch[0]!.from}`);
            this.writes.push(Date.now());
            await this.ack(ids, true);
            continue;
          } catch (err) {
            this.stop(`${(err as Error).message}; falling back`);
          }
        } else this.stop(why);
        await this.ack(ids, false);
      }
    } finally {
      this.running = false;
    }
  }

  /** When the wake budget allows the next write (ms since the epoch; now or earlier: at once). */
  private nextWriteAt(): number {
    const max = this.o.maxWakes ?? DEFAULT_MAX_WAKES;
    const since = Date.now() - WAKE_WINDOW_MS;
    while (this.writes.length > 0 && this.writes[0]! <= since) this.writes.shift();
    return this.writes.length < max ? 0 : this.writes[this.writes.length - max]! + WAKE_WINDOW_MS;
  }

  /** Once the budget allows, leases what is still unread (bounded) and writes it. */
  private retryAt(at: number): void {
    if (this.retry !== undefined) return;
    log(`this session was woken too often in the last ${WAKE_WINDOW_MS / 60_000} minutes (agents waking each other?); its mail waits until ${new Date(at).toISOString()}`);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (!this.active) return;
      this.o.agent.call("check", { deliver: true, limit: HOOK_MESSAGE_LIMIT }).then(
        ({ messages }) => {
          for (const m of messages) this.take(m);
        },
        (err) => log(`could not take the waiting mail: ${(err as Error).message}`),
      );
    }, Math.max(0, at - Date.now()));
    this.retry.unref?.();
  }

  private async ack(ids: number[], delivered: boolean): Promise<void> {
    try {
      await this.o.agent.call("ack", { message_ids: ids, delivered });
    } catch (err) {
      // The lease ends by itself (LEASE_MS): the broker keeps the mail unread.
      log(`could not ack messages ${ids.join(", ")}: ${(err as Error).message}`);
    }
  }

  /** Stops using the inbox (once), says why in the log and the record. */
  private stop(why: string): void {
    if (!this.active) return;
    this.active = false;
    log(`session mail stops going into Claude Code's inbox: ${why}`);
    this.record(why);
    this.o.onStop();
  }

  /** Writes the record again (the name this server acts as may have changed). */
  refresh(): void {
    this.record(this.lastWhy);
  }

  private lastWhy = "";

  private record(why: string): void {
    this.lastWhy = why;
    if (this.o.hostPid <= 1) return;
    const dir = paths.inbox(this.o.config);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      for (const f of readdirSync(dir)) {
        const pid = Number(f.replace(/\.json$/, ""));
        if (Number.isSafeInteger(pid) && pid > 1 && !isAlive(pid)) rmSync(join(dir, f), { force: true });
      }
      const rec: InboxRecord = { pid: process.pid, host_pid: this.o.hostPid, name: this.o.name(), path: this.active ? "inbox" : "fallback", why, at: new Date().toISOString() };
      writePrivate(join(dir, `${this.o.hostPid}.json`), JSON.stringify(rec));
    } catch (err) {
      log(`could not record the delivery path: ${(err as Error).message}`);
    }
  }
}
