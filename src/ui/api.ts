/**
 * The dashboard's views over the broker's own state (it runs inside the broker
 * process): agents, conversations, one conversation, one message, search, and
 * posting as the person. Reads use the broker's prepared statements and
 * in-memory registry; a post is an ordinary send through `sendDirect` /
 * `broadcastFrom`, answered after its group commit.
 */
import * as v from "valibot";
import type { Broker } from "../broker/broker.ts";
import { broadcastFrom, sendDirect } from "../broker/ops/messaging.ts";
import { iso, toMessage } from "../broker/present.ts";
import { IpcError } from "../protocol/errors.ts";
import type { Message } from "../protocol/message.ts";
import { EVERYONE, normalizeName } from "../protocol/names.ts";
import type { Overview } from "../store/overview.ts";
import { type Page, type UiAgent, type UiConversation, UiPost } from "./schemas.ts";

/** Most rows one list request returns. */
export const MAX_PAGE = 200;
/** Messages a search indexes before it runs (as the `search` op). */
const SEARCH_CATCH_UP = 20_000;

/** A page size from a query parameter: 1–MAX_PAGE, else `fallback`. */
export function pageSize(raw: string | null, fallback: number): number {
  const n = Number(raw);
  return Number.isInteger(n) && n >= 1 ? Math.min(n, MAX_PAGE) : fallback;
}

/** A non-negative integer from a query parameter, else 0. */
export function offsetOf(raw: string | null): number {
  const n = Number(raw);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/** Agents, online ones first, then by name. */
export function agents(b: Broker, offset: number, limit: number): Page<UiAgent> {
  const all: UiAgent[] = [];
  for (const i of b.registry.instances.values()) {
    all.push({ name: i.name, online: b.registry.isConnected(i.name), unread: b.registry.unreadOf(i.name), last_seen: iso(i.lastSeen) });
  }
  all.sort((x, y) => (x.online === y.online ? (x.name < y.name ? -1 : 1) : x.online ? -1 : 1));
  return { items: all.slice(offset, offset + limit), total: all.length };
}

/** Conversations, newest activity first, each with its newest message (large ones summarised). */
export function conversations(b: Broker, overview: Overview, offset: number, limit: number): Page<UiConversation> {
  const items: UiConversation[] = [];
  for (const c of overview.conversations(limit, offset)) {
    const row = b.messages.get(c.last_id);
    if (row === null) continue;
    items.push({ a: c.a, b: c.b, last: present(row) });
  }
  return { items };
}

/**
 * One conversation's messages, oldest first, ending before `before`.
 * @throws IpcError BAD_REQUEST when `a`/`b` are not names (or EVERYONE twice).
 */
export function conversation(overview: Overview, a: string, b: string, limit: number, before?: number): Page<Message> {
  const x = a === EVERYONE ? EVERYONE : normalizeName(a);
  const y = b === EVERYONE ? EVERYONE : normalizeName(b);
  if (x === null || y === null || (x === EVERYONE) !== (y === EVERYONE)) {
    throw new IpcError("BAD_REQUEST", "a conversation is two names, or * and * for broadcasts");
  }
  return { items: overview.conversation(x, y, limit, before).map(present) };
}

/**
 * One message whole (a large one with its full text).
 * @throws IpcError NOT_FOUND.
 */
export function message(b: Broker, id: number): Message {
  const row = Number.isSafeInteger(id) && id > 0 ? b.messages.get(id) : null;
  if (row === null) throw new IpcError("NOT_FOUND", `no message #${id}`);
  return toMessage(row, true);
}

/** Messages matching every word of `query`, newest first (the index catches up a bounded backlog first). */
export function search(b: Broker, query: string, limit: number): Page<Message> {
  if (query.trim() === "") return { items: [] };
  b.commit.begin();
  b.search.catchUp(SEARCH_CATCH_UP);
  return { items: b.search.searchAll(query.slice(0, 256), limit).map(present) };
}

/**
 * Posts as the person: an ordinary message from `as` to a name, or a broadcast
 * to everyone. `as` is registered on first use (so agents can answer it); a
 * name a live agent holds, or one reserved by a rename's forwarding, is refused.
 * Resolves after the group commit.
 * @throws IpcError BAD_REQUEST / INVALID_NAME (bad body), CONFLICT (name in use), RATE_LIMITED, TOO_LARGE, INBOX_FULL.
 */
export async function post(b: Broker, body: unknown): Promise<{ message_ids: number[]; status: string }> {
  const parsed = v.safeParse(UiPost, body);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const field = issue.path?.map((p) => String(p.key)).join(".") ?? "";
    throw new IpcError(field === "as" || field === "to" ? "INVALID_NAME" : "BAD_REQUEST", `${field ? `${field}: ` : ""}${issue.message}`);
  }
  const p = parsed.output;
  if (b.registry.isConnected(p.as)) {
    throw new IpcError("CONFLICT", `${p.as} is the name of an agent connected now: post as a name of your own`);
  }
  const now = b.clock();
  if (b.registry.forwardOf(p.as, now) !== null) {
    throw new IpcError("CONFLICT", `${p.as} was just renamed and still forwards to its new name: post as a name of your own`);
  }
  const wait = b.sessions.bucketOf(p.as).take();
  if (wait > 0) throw new IpcError("RATE_LIMITED", `too many posts as ${p.as}; retry in ${wait} ms`, undefined, wait);
  b.commit.begin();
  if (!b.registry.isRegistered(p.as)) b.registry.register(p.as, now);
  else b.registry.seen(p.as, now);
  let result: { message_ids: number[]; status: string };
  if (p.to === EVERYONE) {
    const r = broadcastFrom(b, p.as, p.content, null);
    result = { message_ids: r.message_ids, status: `sent to ${r.count}` };
  } else {
    const r = sendDirect(b, p.as, p.to, p.content, null, p.reply_to ?? null);
    result = { message_ids: [r.message_id], status: r.status };
  }
  await new Promise<void>((resolve) => b.commit.afterCommit(resolve));
  return result;
}

/** The page's form of a stored row: a large message as its summary (`GET /api/message/ID` has it whole). */
export function present(row: Parameters<typeof toMessage>[0]): Message {
  return toMessage(row, false);
}
