/** check (consume-on-read, peek, from, limit, wait, deliver), ack and read. */
import { IpcError } from "../../protocol/errors.ts";
import type { MessageRow } from "../../store/messages.ts";
import type { Broker } from "../broker.ts";
import type { Connection } from "../edge/connection.ts";
import { endLease, leaseTo } from "../delivery/deliver.ts";
import { emit, watching } from "../delivery/events.ts";
import { okFrame } from "../edge/frames.ts";
import { toMessage } from "../delivery/present.ts";
import { fitting, outputFull, outputLeft, REPLY_BUDGET, replyRoom, weight, worthReading } from "../delivery/reply-budget.ts";
import type { Waiter } from "../delivery/waiters.ts";
import { mayRead } from "./channels.ts";
import type { OpHandler } from "./types.ts";

/** Default and largest number of messages one check returns. */
export const CHECK_LIMIT = 100;

/** How many of some rows, in order, fit in one reply (at least one when there are any). */
export type Fit = (rows: readonly MessageRow[]) => number;

/** A reply's budget for the first cut by size (worthReading): `budget` units of `bytesPerUnit` UTF-8 bytes at most. */
export interface ReadBudget {
  budget: number;
  bytesPerUnit: number;
}

/**
 * Takes up to `limit` unread messages of `name`, oldest first, marking them read
 * in one statement (unless `peek`), and no more than `fit` lets into one reply
 * (default: the v2 reply budget; the rest stays unread: marked read, then
 * unmarked, in the same transaction). Rows past what `read` can carry are not read at all.
 */
export function takeUnread(
  b: Broker,
  name: string,
  limit: number,
  peek: boolean,
  from?: string,
  fit: Fit = (r) => fitting(r, false),
  read: ReadBudget = { budget: REPLY_BUDGET, bytesPerUnit: 3 },
): MessageRow[] {
  if (b.registry.unreadOf(name) === 0) return [];
  limit = worthReading(b.messages.unreadSizes(name, limit, from), read.budget, read.bytesPerUnit);
  if (limit === 0) return [];
  if (peek) {
    const rows = b.messages.peek(name, limit, from);
    return rows.slice(0, fit(rows));
  }
  b.commit.begin();
  let rows = b.messages.consume(name, limit, b.clock(), from);
  if (b.leases.size > 0) {
    // A message a deliverer is putting into the model's context now is not taken twice: it stays as it is.
    const leased = rows.filter((r) => b.leases.has(r.id));
    if (leased.length > 0) {
      b.messages.unmarkRead(leased.map((r) => r.id));
      rows = rows.filter((r) => !b.leases.has(r.id));
    }
  }
  const n = fit(rows);
  if (n < rows.length) b.messages.unmarkRead(rows.splice(n).map((r) => r.id));
  b.registry.addUnread(name, -rows.length);
  if (rows.length > 0 && watching(b)) emit(b, { type: "read", ids: rows.map((r) => r.id), name, at: b.clock() });
  return rows;
}

/**
 * Leases up to `limit` unread messages of `name` that no deliverer holds yet to deliverer `conn`
 * (docs/wake.md#delivery-states), oldest first, as many as fit in one reply; nothing is marked read.
 */
function leaseUnread(b: Broker, conn: Connection, name: string, limit: number, from: string | undefined, room: number): MessageRow[] {
  if (b.registry.unreadOf(name) === 0) return [];
  // Sized first: only as many rows (leased ones included) as the reply can carry are read.
  const sizes = b.messages.unreadSizes(name, Math.min(limit + b.leases.size, 10 * limit), from);
  const free = sizes.filter((r) => !b.leases.has(r.id)).slice(0, limit);
  const worth = worthReading(free, room, 3);
  if (worth === 0) return [];
  const lastId = free[worth - 1]!.id;
  const upTo = sizes.findIndex((r) => r.id === lastId) + 1;
  const rows = b.messages.peek(name, upTo, from).filter((r) => !b.leases.has(r.id)).slice(0, worth);
  const taken = rows.slice(0, fitting(rows, false, room));
  for (const r of taken) leaseTo(b, r.id, name, conn);
  return taken;
}

export const check: OpHandler<"check"> = (b, conn, req) => {
  const s = b.requireSession(conn, req.token);
  // Counted against the shared output budget before anything is taken (a single message always fits).
  const room = replyRoom(b);
  const limit = req.limit ?? CHECK_LIMIT;
  const deliverer = req.deliver === true;
  const rows = deliverer
    ? leaseUnread(b, conn, s.name, limit, req.from, room)
    : takeUnread(b, s.name, limit, req.peek === true, req.from, (r) => fitting(r, false, room), { budget: room, bytesPerUnit: 3 });
  if (rows.length > 0 || !req.wait) return { messages: rows.map((r) => toMessage(r, false)) };
  hold(b, conn, s.name, req.id, req.wait, req.from, deliverer || req.peek === true, deliverer);
  return undefined;
};

/**
 * ack: a deliverer's answer for messages leased to it. `delivered: true` marks them read (its own
 * unread mail only) and tells their senders `delivered`; `false` ends their leases, so they stay
 * unread for the next deliverer. A message leased to another connection is left alone.
 */
export const ack: OpHandler<"ack"> = (b, conn, req) => {
  const s = b.requireSession(conn, req.token);
  let acked = 0;
  for (const id of new Set(req.message_ids)) {
    const lease = b.leases.get(id);
    if (lease !== undefined ? lease.conn !== conn || lease.name !== s.name : !req.delivered || b.messages.get(id)?.recipient !== s.name) continue;
    if (endLease(b, id, req.delivered) || (!req.delivered && lease !== undefined)) acked++;
  }
  return { acked };
};

/** Holds a check until a message arrives (deliver answers it) or `seconds` pass (answered empty). */
function hold(b: Broker, conn: Connection, name: string, requestId: unknown, seconds: number, from: string | undefined, peek: boolean, deliver = false): void {
  const w: Waiter = { kind: "waiter", conn, requestId: requestId ?? null, from, peek, deliver, name, timer: undefined };
  w.timer = setTimeout(() => {
    if (b.waiters.remove(w)) {
      conn.waiters.delete(w);
      b.commit.send(conn, okFrame(w.requestId, { messages: [] }), w.requestId);
    }
  }, seconds * 1000);
  b.waiters.add(w);
  conn.waiters.add(w);
}

export const read: OpHandler<"read"> = (b, conn, req) => {
  const s = b.requireSession(conn, req.token);
  const row = b.messages.get(req.message_id);
  // Messages belong to identities: a later holder of a name never reads its earlier holder's.
  const me = b.registry.identityOf(s.name);
  if (row === null || !mayRead(b, row, me, s.name)) {
    throw new IpcError("NOT_FOUND", `no message ${req.message_id} that ${s.name} sent, received or may read in a channel`);
  }
  if (weight(row, true) > outputLeft(b)) throw outputFull(b);
  if (row.recipient_id === me && row.recipient === s.name && row.read_at === null) {
    b.commit.begin();
    const now = b.clock();
    b.messages.markRead(row.id, now);
    b.registry.addUnread(s.name, -1);
    row.read_at = now;
    if (watching(b)) emit(b, { type: "read", ids: [row.id], name: s.name, at: now });
  }
  return { message: toMessage(row, true) };
};
