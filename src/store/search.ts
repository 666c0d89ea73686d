/**
 * Full-text search over message content with SQLite FTS5
 * (https://sqlite.org/fts5.html), as an external-content index of `messages`.
 * Sends never touch it: the index catches up behind the request path (on the
 * sweep timer, and before each search), tracked by `search_state.indexed_up_to`.
 */
import type { Database, Statement } from "bun:sqlite";
import { IpcError } from "../protocol/errors.ts";
import type { MessageRow } from "./messages.ts";

const COLUMNS = "m.id, m.sender, m.recipient, m.kind, m.content, m.data, m.reply_to, m.created_at, m.read_at, m.large_file, m.sender_id, m.recipient_id, m.channel";

export class SearchIndex {
  private readonly sState: Statement<{ indexed_up_to: number }>;
  private readonly sNewest: Statement<{ id: number | null }>;
  private readonly sIndex: Statement<{ id: number }>;
  private readonly sSetState: Statement;
  private readonly sForget: Statement;
  private readonly sSearch: Statement<MessageRow>;
  private readonly sSearchAll: Statement<MessageRow>;

  constructor(db: Database) {
    this.sState = db.prepare("SELECT indexed_up_to FROM search_state WHERE singleton = 1");
    this.sNewest = db.prepare("SELECT max(id) AS id FROM messages");
    this.sIndex = db.prepare(
      `INSERT INTO messages_fts (rowid, content)
       SELECT id, content FROM messages WHERE id > ? ORDER BY id LIMIT ? RETURNING rowid AS id`,
    );
    this.sSetState = db.prepare("UPDATE search_state SET indexed_up_to = ? WHERE singleton = 1");
    this.sForget = db.prepare("INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', ?, ?)");
    this.sSearch = db.prepare(
      `SELECT ${COLUMNS} FROM messages_fts f JOIN messages m ON m.id = f.rowid
       WHERE messages_fts MATCH ?1 AND (m.sender_id = ?2 OR m.recipient_id = ?2)
       ORDER BY m.id DESC LIMIT ?3`,
    );
    this.sSearchAll = db.prepare(
      `SELECT ${COLUMNS} FROM messages_fts f JOIN messages m ON m.id = f.rowid
       WHERE messages_fts MATCH ?1 ORDER BY m.id DESC LIMIT ?2`,
    );
  }

  /** Highest message id already indexed. */
  get indexedUpTo(): number {
    return this.sState.get()!.indexed_up_to;
  }

  /** True when messages wait to be indexed. */
  get behind(): boolean {
    return (this.sNewest.get()!.id ?? 0) > this.indexedUpTo;
  }

  /** Indexes up to `maxRows` messages not yet indexed; call inside a transaction. Returns how many. */
  catchUp(maxRows: number): number {
    const rows = this.sIndex.all(this.indexedUpTo, maxRows);
    if (rows.length === 0) return 0;
    let top = 0;
    for (const r of rows) if (r.id > top) top = r.id;
    this.sSetState.run(top);
    return rows.length;
  }

  /** Removes a message from the index before the message itself is deleted. */
  forget(row: Pick<MessageRow, "id" | "content">): void {
    if (row.id <= this.indexedUpTo) this.sForget.run(row.id, row.content);
  }

  /**
   * Messages identity `who` sent or received whose content matches every word of
   * `query` (each word quoted, so FTS5 syntax in the query is literal), newest first.
   */
  search(who: number, query: string, limit: number): MessageRow[] {
    const match = matchExpression(query);
    return match === null ? [] : run(() => this.sSearch.all(match, who, limit));
  }

  /** Like `search`, over every message (the dashboard: its person is the broker's owner). */
  searchAll(query: string, limit: number): MessageRow[] {
    const match = matchExpression(query);
    return match === null ? [] : run(() => this.sSearchAll.all(match, limit));
  }
}

/** An FTS5 MATCH expression of every word of `query`, each quoted; null when there is none (the dashboard uses it too). */
export function matchExpression(query: string): string | null {
  const words = query.split(/\s+/).filter((w) => w.length > 0);
  if (words.length === 0) return null;
  return words.map((w) => `"${w.replaceAll('"', '""')}"`).join(" ");
}

/** Runs an FTS5 query. @throws IpcError BAD_REQUEST when FTS5 refuses it. */
function run(query: () => MessageRow[]): MessageRow[] {
  try {
    return query();
  } catch (err) {
    throw new IpcError("BAD_REQUEST", `search query not understood (${(err as Error).message}); use plain words`);
  }
}
