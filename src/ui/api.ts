/**
 * The dashboard's views over the broker's own state (it runs inside the broker
 * process): agents, conversations, one conversation, one message, search, and
 * posting as the person. Reads use the broker's in-memory registry and the
 * bounded queries of src/store/overview.ts; a post is an ordinary send through
 * `sendDirect` / `broadcastFrom`, answered after its group commit.
 *
 * Every reply is bounded (issue 22, hole 4): a message in a list carries at
 * most LIST_CONTENT_CHARS of content and LIST_DATA_CHARS of data (more is cut
 * or summarised, `partial: true`; `GET /api/message/ID` has it whole); a list
 * reply carries at most UI_RESPONSE_CHARS (`more: true` when rows were left
 * out), or less when the broker's shared output budget has less left
 * (src/broker/reply-budget.ts), and none is built when it is nearly spent.
 */
import * as v from "valibot";
import type { Broker } from "../broker/broker.ts";
import { broadcastFrom, sendDirect } from "../broker/ops/messaging.ts";
import { iso, toMessage } from "../broker/present.ts";
import { fittingNow, replyRoom } from "../broker/reply-budget.ts";
import { IpcError } from "../protocol/errors.ts";
import type { Message } from "../protocol/message.ts";
import { EVERYONE, normalizeName } from "../protocol/names.ts";
import type { MessageRow } from "../store/messages.ts";
import { type BoundedRow, type Overview, ROW_CONTENT_CHARS, ROW_DATA_CHARS } from "../store/overview.ts";
import { matchExpression } from "../store/search.ts";
import type { People } from "./people.ts";
import { type Page, type UiAgent, type UiConversation, type UiMessage, UiPost } from "./schemas.ts";

/** Most rows one list request returns. */
export const MAX_PAGE = 200;
/** Most characters (about) one list reply carries; at least one row always goes. */
export const UI_RESPONSE_CHARS = 1024 * 1024;
/** Characters of content a message in a list carries (more is cut). */
export const LIST_CONTENT_CHARS = ROW_CONTENT_CHARS;
/** Characters of data (as JSON) a message in a list carries (more is summarised). */
export const LIST_DATA_CHARS = ROW_DATA_CHARS;
/** Characters of content a conversation's preview carries. */
const PREVIEW_CHARS = 512;
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

/** A stored row cut down as the queries of overview.ts cut theirs (for rows the broker already holds, e.g. a push). */
export function boundRow(row: MessageRow): BoundedRow {
  const dataChars = row.data === null ? null : row.data.length;
  return {
    ...row,
    content: row.content.length > ROW_CONTENT_CHARS ? row.content.slice(0, ROW_CONTENT_CHARS) : row.content,
    content_chars: row.content.length,
    data: dataChars !== null && dataChars > ROW_DATA_CHARS ? null : row.data,
    data_chars: dataChars,
  };
}

/**
 * A message as lists show it: content cut to `contentChars` (a large message
 * shows its summary), data over LIST_DATA_CHARS replaced by
 * `{summarised: true, kb}`; `partial` when anything was left out.
 */
export function listForm(row: BoundedRow, contentChars = LIST_CONTENT_CHARS): UiMessage {
  const m: UiMessage = toMessage({ ...row, sender_id: null, recipient_id: null }, false);
  let partial = false;
  if (row.large_file === null && row.content_chars > contentChars) {
    m.content = `${m.content.slice(0, contentChars)}…`;
    partial = true;
  } else if (row.large_file !== null && m.data !== undefined && row.content_chars > row.content.length) {
    m.data.original_size_kb = Math.round(row.content_chars / 102.4) / 10;
  }
  if (row.data === null && row.data_chars !== null) {
    m.data = { ...m.data, summarised: true, kb: Math.round(row.data_chars / 102.4) / 10 };
    partial = true;
  }
  if (partial) m.partial = true;
  return m;
}

/**
 * Takes rows in order, as `form` shows them, while the reply stays under
 * UI_RESPONSE_CHARS and what the shared output budget has left (at least one).
 * @throws IpcError RATE_LIMITED when the shared output budget is nearly spent.
 */
function fit<T>(b: Broker, rows: readonly BoundedRow[], form: (r: BoundedRow) => T): { items: T[]; cut: boolean } {
  const room = Math.min(UI_RESPONSE_CHARS, replyRoom(b));
  const items: T[] = [];
  let used = 0;
  for (const r of rows) {
    const item = form(r);
    used += JSON.stringify(item).length + 1;
    if (items.length > 0 && used > room) return { items, cut: true };
    items.push(item);
  }
  return { items, cut: false };
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

/** Conversations, newest activity first, each with a short preview of its newest message. */
export function conversations(b: Broker, overview: Overview, offset: number, limit: number): Page<UiConversation> {
  const found = overview.conversations(limit, offset);
  const rows: Array<BoundedRow & { pair: { a: string; b: string } }> = [];
  for (const c of found) {
    const row = overview.one(c.last_id);
    if (row !== null) rows.push({ ...row, pair: { a: c.a, b: c.b } });
  }
  const { items, cut } = fit(b, rows, (r) => ({ ...(r as (typeof rows)[number]).pair, last: listForm(r, PREVIEW_CHARS) }));
  return { items, more: cut || found.length >= limit };
}

/**
 * One conversation's messages, oldest first, ending before `before` (when the
 * reply cannot hold them all, the newest ones: `more` says earlier ones remain).
 * @throws IpcError BAD_REQUEST when `a`/`b` are not names (or EVERYONE twice); RATE_LIMITED (output budget).
 */
export function conversation(b: Broker, overview: Overview, a: string, bName: string, limit: number, before?: number): Page<UiMessage> {
  const x = a === EVERYONE ? EVERYONE : normalizeName(a);
  const y = bName === EVERYONE ? EVERYONE : normalizeName(bName);
  if (x === null || y === null || (x === EVERYONE) !== (y === EVERYONE)) {
    throw new IpcError("BAD_REQUEST", "a conversation is two names, or * and * for broadcasts");
  }
  const rows = overview.conversation(x, y, limit, before);
  const { items, cut } = fit(b, rows.reverse(), (r) => listForm(r));
  return { items: items.reverse(), more: cut || rows.length >= limit };
}

/**
 * One message whole (a large message with its full text, all its data).
 * @throws IpcError NOT_FOUND; RATE_LIMITED when the shared output budget cannot hold it now.
 */
export function message(b: Broker, id: number): Message {
  const row = Number.isSafeInteger(id) && id > 0 ? b.messages.get(id) : null;
  if (row === null) throw new IpcError("NOT_FOUND", `no message #${id}`);
  fittingNow(b, [row], true);
  return toMessage(row, true);
}

/** Messages matching every word of `query`, newest first (the index catches up a bounded backlog first). */
export function search(b: Broker, overview: Overview, query: string, limit: number): Page<UiMessage> {
  const match = matchExpression(query.slice(0, 256));
  if (match === null) return { items: [] };
  b.commit.begin();
  b.search.catchUp(SEARCH_CATCH_UP);
  let rows: BoundedRow[];
  try {
    rows = overview.search(match, limit);
  } catch (err) {
    throw new IpcError("BAD_REQUEST", `search query not understood (${(err as Error).message}); use plain words`);
  }
  const { items, cut } = fit(b, rows, (r) => listForm(r));
  return { items, more: cut || rows.length >= limit };
}

/**
 * Why the person may not post as `name` now, or null when they may: a name
 * an agent registered (connected now or not), one a rename still forwards,
 * or a person's name an agent has since taken (holds a session for it, or
 * registered afresh after it was released).
 */
function refusalToPostAs(b: Broker, people: People, name: string, now: number): string | null {
  if (b.registry.forwardOf(name, now) !== null) return `${name} was just renamed and still forwards to its new name`;
  if (!b.registry.isRegistered(name)) return null;
  if (b.registry.isConnected(name)) return `${name} is the name of an agent connected now`;
  const mine = people.identityOf(name);
  if (mine === null || mine !== b.registry.identityOf(name) || b.sessionStore.hasName(name)) return `${name} is an agent's name`;
  return null;
}

/**
 * Posts as the person: an ordinary message from `as` to a name, or a broadcast
 * to everyone. `as` is registered on first use as a person's name (so agents
 * can answer it); an agent's name is refused (see refusalToPostAs).
 * Resolves after the group commit.
 * @throws IpcError BAD_REQUEST / INVALID_NAME (bad body), CONFLICT (an agent's name), RATE_LIMITED, TOO_LARGE, INBOX_FULL.
 */
export async function post(b: Broker, people: People, body: unknown): Promise<{ message_ids: number[]; status: string }> {
  const parsed = v.safeParse(UiPost, body);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const field = issue.path?.map((p) => String(p.key)).join(".") ?? "";
    throw new IpcError(field === "as" || field === "to" ? "INVALID_NAME" : "BAD_REQUEST", `${field ? `${field}: ` : ""}${issue.message}`);
  }
  const p = parsed.output;
  const now = b.clock();
  const why = refusalToPostAs(b, people, p.as, now);
  if (why !== null) throw new IpcError("CONFLICT", `${why}: the dashboard posts only as a person's name (yours, e.g. "you"); pick another in "post as"`);
  const wait = b.sessions.bucketOf(p.as).take();
  if (wait > 0) throw new IpcError("RATE_LIMITED", `too many posts as ${p.as}; retry in ${wait} ms`, undefined, wait);
  b.commit.begin();
  if (!b.registry.isRegistered(p.as)) {
    b.registry.register(p.as, now);
    people.add(p.as, b.registry.identityOf(p.as));
  } else b.registry.seen(p.as, now);
  let result: { message_ids: number[]; status: string };
  if (p.to === EVERYONE) {
    const r = broadcastFrom(b, p.as, p.content, null);
    result = { message_ids: r.message_ids, status: `sent to ${r.count}` };
  } else {
    const r = sendDirect(b, p.as, p.to, p.content, null, p.reply_to ?? null);
    result = { message_ids: [r.message_id], status: r.status };
    // Leased to a deliverer (docs/wake.md#delivery-states): the post says what the CLI's send says, once the lease ends.
    if (r.lease !== undefined) {
      const lease = r.lease;
      const settled = new Promise<string>((resolve) => lease.settled.push(resolve));
      await new Promise<void>((resolve) => b.commit.afterCommit(resolve));
      result.status = await settled;
      return result;
    }
  }
  await new Promise<void>((resolve) => b.commit.afterCommit(resolve));
  return result;
}
