/** check (consume-on-read, peek, from, limit, wait) and read. */
import { IpcError } from "../../protocol/errors.ts";
import type { MessageRow } from "../../store/messages.ts";
import type { Broker } from "../broker.ts";
import type { Connection } from "../connection.ts";
import { okFrame } from "../frames.ts";
import { toMessage } from "../present.ts";
import { fitting, outputFull, outputLeft, replyRoom, weight } from "../reply-budget.ts";
import type { Waiter } from "../waiters.ts";
import { mayRead } from "./channels.ts";
import type { OpHandler } from "./types.ts";

/** Default and largest number of messages one check returns. */
export const CHECK_LIMIT = 100;

/** How many of some rows, in order, fit in one reply (at least one when there are any). */
export type Fit = (rows: readonly MessageRow[]) => number;

/**
 * Takes up to `limit` unread messages of `name`, oldest first, marking them read
 * in one statement (unless `peek`), and no more than `fit` lets into one reply
 * (default: the v2 reply budget; the rest stays unread: marked read, then
 * unmarked, in the same transaction).
 */
export function takeUnread(b: Broker, name: string, limit: number, peek: boolean, from?: string, fit: Fit = (r) => fitting(r, false)): MessageRow[] {
  if (b.registry.unreadOf(name) === 0) return [];
  if (peek) {
    const rows = b.messages.peek(name, limit, from);
    return rows.slice(0, fit(rows));
  }
  b.commit.begin();
  const rows = b.messages.consume(name, limit, b.clock(), from);
  const n = fit(rows);
  if (n < rows.length) b.messages.unmarkRead(rows.splice(n).map((r) => r.id));
  b.registry.addUnread(name, -rows.length);
  return rows;
}

export const check: OpHandler<"check"> = (b, conn, req) => {
  const s = b.requireSession(conn, req.token);
  // Counted against the shared output budget before anything is taken (a single message always fits).
  const room = replyRoom(b);
  const rows = takeUnread(b, s.name, req.limit ?? CHECK_LIMIT, req.peek === true, req.from, (r) => fitting(r, false, room));
  if (rows.length > 0 || !req.wait) return { messages: rows.map((r) => toMessage(r, false)) };
  hold(b, conn, s.name, req.id, req.wait, req.from, req.peek === true);
  return undefined;
};

/** Holds a check until a message arrives (deliver answers it) or `seconds` pass (answered empty). */
function hold(b: Broker, conn: Connection, name: string, requestId: unknown, seconds: number, from: string | undefined, peek: boolean): void {
  const w: Waiter = { kind: "waiter", conn, requestId: requestId ?? null, from, peek, name, timer: undefined };
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
  }
  return { message: toMessage(row, true) };
};
