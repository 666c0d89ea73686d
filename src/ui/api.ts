/**
 * The dashboard's views over the broker's own state (it runs inside the broker
 * process): conversations, one conversation (two names, a channel, or the
 * broadcasts), one message, search, posting as the person and releasing a
 * claim with a notice to its holder (agents, channels, claims and the graph
 * are in views.ts). Reads use the bounded queries of queries.ts; a post is an
 * ordinary send through `sendDirect` / `postToChannel` / `broadcastFrom`,
 * answered after its group commit.
 *
 * Every reply is bounded (issue 22, hole 4): a message in a list carries at
 * most LIST_CONTENT_CHARS of content and LIST_DATA_CHARS of data (more is cut
 * or summarised, `partial: true`; `GET /api/message/ID` has it whole); a list
 * reply carries at most UI_RESPONSE_CHARS (`more: true` when rows were left
 * out), or less when the broker's shared output budget has less left
 * (src/broker/delivery/reply-budget.ts), and none is built when it is nearly spent.
 */
import * as v from "valibot";
import type { Broker } from "../broker/broker.ts";
import { emit, watching } from "../broker/delivery/events.ts";
import { isMember, MAX_MEMBERS, postToChannel } from "../broker/ops/channels.ts";
import { liveClaims } from "../broker/ops/claims.ts";
import { broadcastFrom, sendDirect } from "../broker/ops/messaging.ts";
import { toMessage } from "../broker/delivery/present.ts";
import { fittingNow, replyRoom } from "../broker/delivery/reply-budget.ts";
import { IpcError } from "../protocol/errors.ts";
import type { Message } from "../protocol/message.ts";
import { EVERYONE, normalizeName } from "../protocol/names.ts";
import type { MessageRow } from "../store/messages.ts";
import { type BoundedRow, ROW_CONTENT_CHARS, ROW_DATA_CHARS } from "../store/overview.ts";
import { matchExpression } from "../store/search.ts";
import type { Memory } from "./live.ts";
import type { People } from "./people.ts";
import { type Queries, type Row } from "./queries.ts";
import { type Page, type UiConversation, type UiMessage, UiPost, UiRelease } from "./schemas.ts";
import { stateOf } from "./views.ts";

/** What the list views need to show a row: the broker, the dashboard's queries and what it remembers of deliveries. */
export interface Ctx {
  b: Broker;
  queries: Queries;
  memory: Memory;
  people: People;
}

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

/** A stored row cut down as the queries of queries.ts cut theirs (for rows the broker already holds, e.g. a push). */
export function boundRow(row: MessageRow): Row {
  const dataChars = row.data === null ? null : row.data.length;
  return {
    ...row,
    channel: row.channel ?? null,
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
  const m: UiMessage = { ...toMessage({ ...row, sender_id: null, recipient_id: null }, false), state: "queued" };
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

/** A row as lists show it, with its delivery state (see views.ts stateOf). */
export function shown(c: Ctx, r: Row, contentChars = LIST_CONTENT_CHARS): UiMessage {
  return { ...listForm(r, contentChars), ...stateOf(c.b, c.queries, c.memory, r) };
}

/** Conversations, newest activity first, each with a short preview of its newest message. */
export function conversations(c: Ctx, offset: number, limit: number): Page<UiConversation> {
  const found = c.queries.conversations(limit, offset);
  const rows: Array<Row & { pair: { a: string; b: string } }> = [];
  for (const k of found) {
    const row = c.queries.one(k.last_id);
    if (row !== null) rows.push({ ...row, pair: { a: k.a, b: k.b } });
  }
  const { items, cut } = fit(c.b, rows, (r) => ({ ...(r as (typeof rows)[number]).pair, last: shown(c, r as Row, PREVIEW_CHARS) }));
  return { items, more: cut || found.length >= limit };
}

/**
 * One conversation's messages, oldest first, ending before `before` (when the
 * reply cannot hold them all, the newest ones: `more` says earlier ones remain).
 * A conversation is two names, a channel twice (its posts), or EVERYONE twice.
 * @throws IpcError BAD_REQUEST when `a`/`b` are none of those; RATE_LIMITED (output budget).
 */
export function conversation(c: Ctx, a: string, bName: string, limit: number, before?: number): Page<UiMessage> {
  const side = (n: string) => (n === EVERYONE ? EVERYONE : /^#[a-z0-9_-]{1,32}$/.test(n) ? n : normalizeName(n));
  const x = side(a);
  const y = side(bName);
  const special = (n: string | null) => n === EVERYONE || n?.startsWith("#") === true;
  if (x === null || y === null || special(x) !== special(y) || (special(x) && x !== y)) {
    throw new IpcError("BAD_REQUEST", "a conversation is two names, a #channel twice, or * and * for broadcasts");
  }
  const rows = c.queries.conversation(x, y, limit, before);
  const { items, cut } = fit(c.b, rows.reverse(), (r) => shown(c, r as Row));
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
export function search(c: Ctx, query: string, limit: number): Page<UiMessage> {
  const b = c.b;
  const match = matchExpression(query.slice(0, 256));
  if (match === null) return { items: [] };
  b.commit.begin();
  b.search.catchUp(SEARCH_CATCH_UP);
  let rows: Row[];
  try {
    rows = c.queries.search(match, limit);
  } catch (err) {
    throw new IpcError("BAD_REQUEST", `search query not understood (${(err as Error).message}); use plain words`);
  }
  // A broadcast's copies share sender, time and content: one result each.
  const seen = new Set<string>();
  rows = rows.filter((r) => {
    if (r.kind !== "broadcast") return true;
    const k = `${r.sender}\u0000${r.created_at}`;
    return !seen.has(k) && seen.add(k) !== undefined;
  });
  const { items, cut } = fit(b, rows, (r) => shown(c, r as Row));
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

/** Reads a body with `schema`, or throws INVALID_NAME (a name field) / BAD_REQUEST naming the field. */
function parse<S extends v.GenericSchema>(schema: S, body: unknown): v.InferOutput<S> {
  const parsed = v.safeParse(schema, body);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const field = issue.path?.map((p) => String(p.key)).join(".") ?? "";
    throw new IpcError(["as", "to", "holder"].includes(field) ? "INVALID_NAME" : "BAD_REQUEST", `${field ? `${field}: ` : ""}${issue.message}`);
  }
  return parsed.output;
}

/**
 * Makes `as` the person's name for a write: refused when an agent holds it
 * (see refusalToPostAs), rate-limited as a name, registered on first use.
 * Opens the transaction.
 * @throws IpcError CONFLICT, RATE_LIMITED.
 */
function actAs(b: Broker, people: People, as: string): void {
  const now = b.clock();
  const why = refusalToPostAs(b, people, as, now);
  if (why !== null) throw new IpcError("CONFLICT", `${why}: the dashboard posts only as a person's name (yours, e.g. "you"); pick another in "post as"`);
  const wait = b.sessions.bucketOf(as).take();
  if (wait > 0) throw new IpcError("RATE_LIMITED", `too many posts as ${as}; retry in ${wait} ms`, undefined, wait);
  b.commit.begin();
  if (!b.registry.isRegistered(as)) {
    b.registry.register(as, now);
    people.add(as, b.registry.identityOf(as));
  } else b.registry.seen(as, now);
}

/** What a post answers: the stored ids, the delivery status, and the conversation it belongs to (the page opens it). */
export interface Posted {
  message_ids: number[];
  status: string;
  conversation: { a: string; b: string };
}

/**
 * Posts as the person: an ordinary message from `as` to a name, a post to a
 * channel (the person's name joins it first when it is not a member), or a
 * broadcast to everyone. `as` is registered on first use as a person's name
 * (so agents can answer it); an agent's name is refused (see refusalToPostAs).
 * Resolves after the group commit.
 * @throws IpcError BAD_REQUEST / INVALID_NAME (bad body), CONFLICT (an agent's name), RATE_LIMITED, TOO_LARGE, INBOX_FULL.
 */
export async function post(b: Broker, people: People, body: unknown): Promise<Posted> {
  const p = parse(UiPost, body);
  actAs(b, people, p.as);
  let result: Posted;
  if (p.to === EVERYONE) {
    const r = broadcastFrom(b, p.as, p.content, null);
    result = { message_ids: r.message_ids, status: `sent to ${r.count}`, conversation: { a: EVERYONE, b: EVERYONE } };
  } else if (p.to.startsWith("#")) {
    if (!isMember(b, p.to, p.as)) {
      if (b.channels.members(p.to).length >= MAX_MEMBERS) throw new IpcError("TOO_LARGE", `${p.to} has ${MAX_MEMBERS} members, the limit: post to one of them directly`);
      const now = b.clock();
      b.channels.join(p.to, p.as, now);
      b.cluster?.channels.joined(p.to, p.as, now);
      if (watching(b)) emit(b, { type: "joined", name: p.as, channel: p.to, at: now });
    }
    const r = postToChannel(b, p.as, p.to, p.content, null, p.reply_to ?? null);
    result = { message_ids: [r.message_id], status: r.status, conversation: { a: p.to, b: p.to } };
  } else {
    const r = sendDirect(b, p.as, p.to, p.content, null, p.reply_to ?? null);
    const pair = p.as < r.to ? { a: p.as, b: r.to } : { a: r.to, b: p.as };
    result = { message_ids: [r.message_id], status: r.status, conversation: pair };
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

/**
 * The person ends another name's file claim (a stale one, say) and tells the
 * holder: a message from `as` naming the path, the project and the claim's
 * reason. `as` must be a person's name, as for a post.
 * @throws IpcError BAD_REQUEST / INVALID_NAME, CONFLICT (an agent's name), NOT_FOUND (no such live claim), RATE_LIMITED.
 */
export async function releaseClaim(b: Broker, people: People, body: unknown): Promise<{ released: number; notice: number }> {
  const p = parse(UiRelease, body);
  const now = b.clock();
  const claim = liveClaims(b, p.project, now).find((c) => c.holder === p.holder && c.path === p.path);
  if (claim === undefined) throw new IpcError("NOT_FOUND", `${p.holder} holds no claim on ${p.path} in ${p.project} now (it may have ended): reload the claims`);
  actAs(b, people, p.as);
  let released: number;
  if (b.cluster !== null) {
    let n = 0;
    await b.cluster.updateClaims(p.project, (stored) => {
      const left = stored.filter((r) => !(r.holder === p.holder && r.path === p.path));
      n = stored.length - left.length;
      return n === 0 ? null : left;
    });
    b.commit.begin();
    released = n;
  } else released = b.claims.release(p.project, p.holder, [p.path]);
  if (watching(b)) emit(b, { type: "released", name: p.holder, project: p.project, paths: [p.path], by: p.as, at: now });
  const why = claim.reason === null ? "" : ` (your reason was: ${claim.reason})`;
  const notice = sendDirect(
    b,
    p.as,
    p.holder,
    `${p.as} released your claim on ${p.path} in project ${p.project} from the dashboard${why}. ` +
      `If you still need it, claim it again (ipc claim ${p.path}, MCP tool claim) and tell ${p.as} why.`,
    JSON.stringify({ type: "claim_released", project: p.project, path: p.path, by: p.as }),
    null,
  );
  await new Promise<void>((resolve) => b.commit.afterCommit(resolve));
  return { released, notice: notice.message_id };
}
