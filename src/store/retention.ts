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
  private readonly sFuture: Statement<ExpiredRow>;
  private readonly sRead: Statement<ExpiredRow>;
  private readonly sDelete: Statement;

  constructor(db: Database) {
    this.sFuture = db.prepare(
      `SELECT id, recipient, content, large_file FROM messages
       WHERE recipient = ? AND (read_at IS NOT NULL) = 0 AND created_at < ?
         AND id < (SELECT max(id) FROM messages) LIMIT ?`,
    );
    this.sRead = db.prepare(
      `SELECT id, recipient, content, large_file FROM messages
       WHERE read_at IS NOT NULL AND read_at < ? AND id < (SELECT max(id) FROM messages) LIMIT ?`,
    );
    this.sDelete = db.prepare("DELETE FROM messages WHERE id = ?");
  }

  /** Unread messages to `recipient` (a name nobody registered) created before `cutoff`. */
  expiredFuture(recipient: string, cutoff: number, limit: number): ExpiredRow[] {
    return this.sFuture.all(recipient, cutoff, limit);
  }

  /** Messages read before `cutoff`. */
  expiredRead(cutoff: number, limit: number): ExpiredRow[] {
    return this.sRead.all(cutoff, limit);
  }

  delete(id: number): void {
    this.sDelete.run(id);
  }
}
