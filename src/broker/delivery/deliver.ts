/**
 * Storing one message and handing it over: the heart of send, broadcast and
 * system notices. Runs inside the group commit; whoever is waiting for the
 * recipient is answered after the commit, never before.
 */
import type { MessageKind } from "../../protocol/message.ts";
import type { DeliveryStatus } from "../../protocol/responses.ts";
import { IpcError } from "../../protocol/errors.ts";
import type { Broker } from "../broker.ts";
import type { Connection } from "../edge/connection.ts";
import { messageEventFrame, okFrame, okFrameFromJson } from "../edge/frames.ts";
import type { Lease } from "./leases.ts";
import { isLarge, largeMessagePath, writeLargeMessage } from "./large-messages.ts";
import { emit, watching } from "./events.ts";
import { log } from "../log.ts";
import { toMessage } from "./present.ts";
import type { MessageRow } from "../../store/messages.ts";

/** Hands a committed row to every observer; one that throws is logged and left out. */
function notifyObservers(b: Broker, row: MessageRow): void {
  for (const o of b.observers) {
    try {
      o(row);
    } catch (err) {
      log.warn(`message observer failed: ${(err as Error).message}`);
    }
  }
}

/** A message to store. `data` is JSON object text or null. */
export interface Outgoing {
  sender: string;
  recipient: string;
  kind: MessageKind;
  content: string;
  data: string | null;
  replyTo: number | null;
  /** A channel post's copy for one member: the channel ('#name'). */
  channel?: string;
  /** When it was sent (ms), for a message stored as one copy per recipient (a broadcast): the same for every copy. Default: now. */
  at?: number;
}

/** What deliver() did with one message: its id, its status now, and the lease a deliverer holds on it (its outcome follows). */
export interface Delivered {
  id: number;
  /** `notified` while `lease` is open: the lease's end says `delivered` or stays `notified`. */
  status: DeliveryStatus;
  lease: Lease | null;
}

/**
 * Stores `m`, then hands it over (docs/wake.md#delivery-states): to the oldest
 * matching consuming `check` waiter (it is stored read), every matching
 * peeking one and every subscriber; and, when nobody consumed it, to one
 * deliverer as a lease — a subscriber that declared `deliver` first, else the
 * oldest held `check {deliver}`.
 * @returns the message id; `delivered` (a consuming reader took it),
 *   `notified` (a live process of the recipient has it, unread; with a lease,
 *   a deliverer is putting it into the model's context now), `queued` or
 *   `future`.
 * `holdBack`: the row is written with the rest of the connection's frames
 * (MessageStore.insertLater; the caller's pump drains it), not now.
 * @throws IpcError INBOX_FULL when the recipient holds the maximum of unread messages.
 */
export function deliver(b: Broker, m: Outgoing, holdBack = false): Delivered {
  const { registry, waiters, commit } = b;
  const { taker, peekers, deliverer } = waiters.match(m.recipient, m.sender);
  const consumed = taker !== null || waiters.consumer(m.recipient) !== null;
  const max = b.config.limits.maxUnread;
  if (!consumed && max > 0 && registry.unreadOf(m.recipient) >= max) {
    throw new IpcError(
      "INBOX_FULL",
      `${m.recipient} has ${max} unread messages (IPC_MAX_UNREAD); wait until they check their inbox`,
    );
  }
  commit.begin();
  const now = m.at ?? b.clock();
  const row = {
    id: 0,
    sender: m.sender,
    recipient: m.recipient,
    kind: m.kind,
    content: m.content,
    data: m.data,
    reply_to: m.replyTo,
    created_at: now,
    read_at: consumed ? now : null,
    large_file: null as string | null,
    // As the insert records them (the holders of the names now).
    sender_id: registry.instances.get(m.sender)?.identity ?? null,
    recipient_id: registry.instances.get(m.recipient)?.identity ?? null,
    channel: m.channel ?? null,
  };
  const large = isLarge(m.content, b.config.limits.largeMessageBytes);
  // A large message's row is updated at once (setLargeFile): it is stored now.
  row.id = holdBack && !large ? b.messages.insertLater(row) : b.messages.insert(row);
  registry.messageCount++;
  if (large) {
    const path = largeMessagePath(b.largeMessageDir, now, m.sender, m.recipient, row.id);
    b.messages.setLargeFile(row.id, path);
    row.large_file = path;
    const copy = { from: m.sender, to: m.recipient, createdAt: now, id: row.id, content: m.content };
    commit.afterCommit(() => writeLargeMessage(path, copy));
  }
  if (!consumed) registry.addUnread(m.recipient, 1);
  if (b.observers.size > 0) commit.afterCommit(() => notifyObservers(b, row));

  // Stored: now hand it over (the answers leave after the commit).
  const subscribers = waiters.subscribersOf(m.recipient);
  // Nobody consumed it: one deliverer puts it into the model's context, leased (a deliver-subscriber before a held check).
  const pushTo = consumed ? null : waiters.delivererOf(m.recipient);
  const offerTo = consumed || pushTo !== null ? null : deliverer;
  const lease = pushTo !== null ? leaseTo(b, row.id, m.recipient, pushTo.conn) : offerTo !== null ? leaseTo(b, row.id, m.recipient, offerTo.conn) : null;
  const woken = offerTo !== null ? [...peekers, offerTo] : taker === null ? peekers : [taker, ...peekers];
  if (woken.length > 0 || subscribers !== undefined) {
    const view = toMessage(row, false);
    if (woken.length > 0) {
      const body = JSON.stringify({ messages: [view] });
      for (const w of woken) {
        waiters.remove(w);
        w.conn.waiters.delete(w);
        commit.send(w.conn, okFrameFromJson(w.requestId, body), w.requestId);
      }
    }
    if (subscribers !== undefined) {
      const event = messageEventFrame(view);
      for (const s of subscribers) commit.send(s.conn, s === pushTo ? messageEventFrame(view, true) : event);
    }
  }
  const listening = woken.length > 0 || subscribers !== undefined;
  const status = consumed ? "delivered" : listening ? "notified" : registry.isRegistered(m.recipient) ? "queued" : "future";
  if (watching(b)) emit(b, { type: "delivery", id: row.id, name: m.recipient, status, leased: lease !== null, at: now });
  return { id: row.id, status, lease };
}

/** Leases message `id` of `name` to deliverer `conn`; an unanswered lease ends as not delivered (and demotes a deliver-subscriber). */
export function leaseTo(b: Broker, id: number, name: string, conn: Connection, hops = 0): Lease {
  if (watching(b)) emit(b, { type: "woken", id, name, at: b.clock() });
  return b.leases.take(
    id,
    name,
    conn,
    (l) => {
      try {
        if (l.conn.subscriber?.deliver === true) {
          l.conn.subscriber.deliver = false;
          log.warn(`${name}'s deliverer did not answer for message ${id} within the lease; it gets plain pushes from now on (docs/wake.md#delivery-states)`);
        }
        endLease(b, id, false);
      } catch (err) {
        // The broker is stopping (its database closed): the message stays as stored, unread.
        log.warn(`the lease on message ${id} ended without an answer: ${(err as Error).message}`);
      }
    },
    undefined,
    hops,
  );
}

/**
 * Ends the lease on message `id` (if it is leased): `delivered` marks it read
 * (when it still is unread) and tells waiting senders `delivered`; otherwise
 * it stays unread and is offered to the next held deliverer of its recipient
 * (not the one that failed) — its waiting senders follow it there once — or,
 * with none, its senders hear `notified`.
 * @returns true when this call marked the message read.
 */
export function endLease(b: Broker, id: number, delivered: boolean): boolean {
  const lease = b.leases.end(id, null);
  const tell = (status: DeliveryStatus) => {
    for (const f of lease?.settled.splice(0) ?? []) f(status);
  };
  const row = b.messages.get(id);
  if (row === null || row.read_at !== null) {
    tell(row === null ? "notified" : "delivered");
    return false;
  }
  if (delivered) {
    b.commit.begin();
    b.messages.markRead(id, b.clock());
    b.registry.addUnread(row.recipient, -1);
    if (watching(b)) emit(b, { type: "read", ids: [id], name: row.recipient, at: b.clock() });
    tell("delivered");
    return true;
  }
  const next = lease === undefined ? null : b.waiters.match(row.recipient, row.sender, lease.conn).deliverer;
  if (next === null) {
    tell("notified");
    return false;
  }
  b.waiters.remove(next);
  next.conn.waiters.delete(next);
  const again = leaseTo(b, id, row.recipient, next.conn, lease!.hops + 1);
  if (lease!.hops === 0) again.settled.push(...lease!.settled.splice(0));
  else tell("notified");
  b.commit.send(next.conn, okFrame(next.requestId, { messages: [toMessage(row, false)] }), next.requestId);
  return false;
}
