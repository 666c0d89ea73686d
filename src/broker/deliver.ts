/**
 * Storing one message and handing it over: the heart of send, broadcast and
 * system notices. Runs inside the group commit; whoever is waiting for the
 * recipient is answered after the commit, never before.
 */
import type { MessageKind } from "../protocol/message.ts";
import type { SendStatus } from "../protocol/responses.ts";
import { IpcError } from "../protocol/errors.ts";
import type { Broker } from "./broker.ts";
import { messageEventFrame, okFrameFromJson } from "./frames.ts";
import { isLarge, largeMessagePath, writeLargeMessage } from "./large-messages.ts";
import { log } from "./log.ts";
import { toMessage } from "./present.ts";
import type { MessageRow } from "../store/messages.ts";

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
}

/**
 * Stores `m`, then hands it to the oldest matching consuming `check` waiter and
 * every matching peeking one, and pushes it to every subscriber. It is stored
 * already read when a consuming waiter or a consuming subscriber (`ipc watch`)
 * takes it, else unread.
 * @returns the message id and `delivered` (a live reader — held check or
 *   subscriber — received it) / `queued` / `future`.
 * @throws IpcError INBOX_FULL when the recipient holds the maximum of unread messages.
 */
export function deliver(b: Broker, m: Outgoing): { id: number; status: Exclude<SendStatus, "forwarded"> } {
  const { registry, waiters, commit } = b;
  const { taker, peekers } = waiters.match(m.recipient, m.sender);
  const consumed = taker !== null || waiters.consumer(m.recipient) !== null;
  const max = b.config.limits.maxUnread;
  if (!consumed && max > 0 && registry.unreadOf(m.recipient) >= max) {
    throw new IpcError(
      "INBOX_FULL",
      `${m.recipient} has ${max} unread messages (IPC_MAX_UNREAD); wait until they check their inbox`,
    );
  }
  commit.begin();
  const now = b.clock();
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
  row.id = b.messages.insert(row);
  registry.messageCount++;
  if (isLarge(m.content, b.config.limits.largeMessageBytes)) {
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
  const woken = taker === null ? peekers : [taker, ...peekers];
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
      for (const s of subscribers) commit.send(s.conn, event);
    }
  }
  // A live reader (a held check, a subscriber, a wake waiter holding either) received it: delivered, not just queued.
  const handedOver = woken.length > 0 || consumed || subscribers !== undefined;
  const status = handedOver ? "delivered" : registry.isRegistered(m.recipient) ? "queued" : "future";
  return { id: row.id, status };
}
