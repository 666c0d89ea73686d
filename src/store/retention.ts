/**
 * Retention queries (DESIGN.md §3): which messages have expired. Each call
 * returns a bounded batch so one sweep never stalls the broker.
 */
import type { Database, Statement } from "bun:sqlite";

/** What deleting a message needs: its id, its content (to leave the search index) and its file. */
export interface ExpiredRow {
  id: number;
  content: string;
  large_file: string | null;
}

export class RetentionStore {
  private readonly sFuture: Statement<ExpiredRow>;
  private readonly sRead: Statement<ExpiredRow>;
  private readonly sDelete: Statement;

  constructor(db: Database) {
    this.sFuture = db.prepare(
      `SELECT id, content, large_file FROM messages
       WHERE read_at IS NULL AND created_at < ? AND recipient NOT IN (SELECT name FROM instances)
       LIMIT ?`,
    );
    this.sRead = db.prepare(
      "SELECT id, content, large_file FROM messages WHERE read_at IS NOT NULL AND read_at < ? LIMIT ?",
    );
    this.sDelete = db.prepare("DELETE FROM messages WHERE id = ?");
  }

  /** Unread messages created before `cutoff` to names nobody ever registered. */
  expiredFuture(cutoff: number, limit: number): ExpiredRow[] {
    return this.sFuture.all(cutoff, limit);
  }

  /** Messages read before `cutoff`. */
  expiredRead(cutoff: number, limit: number): ExpiredRow[] {
    return this.sRead.all(cutoff, limit);
  }

  delete(id: number): void {
    this.sDelete.run(id);
  }
}
