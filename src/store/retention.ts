/**
 * Retention queries (docs/design.md#3-broker): which messages have expired. Each call
 * returns a bounded batch so one sweep never stalls the broker, and none
 * returns the newest message: message ids are max(id) + 1, so keeping the
 * newest row means an id is never handed out twice.
 */
import type { Database, Statement } from "bun:sqlite";

/** What deleting a message needs: its id, its content (to leave the search index) and its file. */
export interface ExpiredRow {
  id: number;
  recipient: string;
  content: string;
  large_file: string | null;
}

export class RetentionStore {
  private readonly sFuture: Statement<ExpiredRow & { created_at: number }>;
  private readonly sRead: Statement<ExpiredRow>;
  private readonly sDelete: Statement;

  constructor(db: Database) {
    // The head of a name's inbox, oldest first (the inbox index lists a name's unread messages in id order).
    this.sFuture = db.prepare(
      `SELECT id, recipient, content, large_file, created_at FROM messages
       WHERE recipient = ? AND (read_at IS NOT NULL) = 0 AND id < (SELECT max(id) FROM messages)
       ORDER BY id LIMIT ?`,
    );
    this.sRead = db.prepare(
      `SELECT id, recipient, content, large_file FROM messages
       WHERE read_at IS NOT NULL AND read_at < ? AND id < (SELECT max(id) FROM messages) LIMIT ?`,
    );
    this.sDelete = db.prepare("DELETE FROM messages WHERE id = ?");
  }

  /**
   * Unread messages to `recipient` (a name nobody registered) created before `cutoff` (ms since
   * the epoch), at most `limit`: the oldest of its unread messages, up to the first created at or
   * after the cutoff. Messages are stored in time order, so the expired ones are the head of the
   * inbox, and a sweep reads them and one more, not the whole inbox (it read every unread row
   * before: ~90 ms per 500 000 to a name nobody registered, once a minute). A message stored out
   * of time order (a clock set back) waits until those before it expire.
   */
  expiredFuture(recipient: string, cutoff: number, limit: number): ExpiredRow[] {
    const expired: ExpiredRow[] = [];
    for (const m of this.sFuture.iterate(recipient, limit)) {
      if (m.created_at >= cutoff) break;
      expired.push({ id: m.id, recipient: m.recipient, content: m.content, large_file: m.large_file });
    }
    return expired;
  }

  /** Messages read before `cutoff`. */
  expiredRead(cutoff: number, limit: number): ExpiredRow[] {
    return this.sRead.all(cutoff, limit);
  }

  delete(id: number): void {
    this.sDelete.run(id);
  }
}
