/**
 * Moving a name's mail to its new home (docs/cluster.md#4-failure-cases).
 * When the directory says a name registered here now lives on another broker
 * (its agent registered there, or took it over), the unread mail this store
 * still holds for it is published to the name's subject, in order, under the
 * id it first crossed with (or this broker's id for it), so the new home
 * commits each message once even when a copy already reached it; here it is
 * marked read (handed over).
 */
import type { Broker } from "../broker/broker.ts";
import type { Wire } from "./records.ts";
import type { ClusterStore } from "./store.ts";
import { recipientSubject } from "./subjects.ts";

/** Rows taken per statement; the whole move is bounded by the inbox limit (IPC_MAX_UNREAD) and MAX_ROUNDS. */
const CHUNK = 500;
const MAX_ROUNDS = 1_000;

/**
 * Moves `name`'s unread mail from this store to the stream, in the open
 * transaction (the outbox rows and the read marks commit together; the
 * publisher sends them after COMMIT).
 * @returns how many messages were handed over.
 */
export function handOver(b: Broker, store: ClusterStore, space: string, name: string): number {
  const subject = recipientSubject(space, name);
  const now = b.clock();
  let moved = 0;
  b.commit.begin();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const rows = b.messages.consume(name, CHUNK, now);
    for (const r of rows) {
      const wire: Wire = {
        id: store.originOf(r.id),
        from: r.sender,
        to: name,
        kind: r.kind,
        content: r.content,
        data: r.data,
        created_at: r.created_at,
        ...(r.reply_to !== null && { reply: store.refOf(r.reply_to) }),
        ...(r.channel != null && { channel: r.channel }),
      };
      store.enqueue(wire.id, subject, JSON.stringify(wire));
    }
    moved += rows.length;
    if (rows.length < CHUNK) break;
  }
  if (moved > 0) b.registry.addUnread(name, -moved);
  return moved;
}
