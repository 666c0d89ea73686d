/**
 * Read-only queries across every inbox, for the browser dashboard (src/ui/):
 * conversations by newest activity, one conversation's messages in order,
 * broadcasts counted once (search over everything: SearchIndex.searchAll). The person
 * at the dashboard is the broker's owner, so nothing here filters by name.
 * Every statement is prepared once; all values are bound parameters.
 */
import type { Database, Statement } from "bun:sqlite";
import { EVERYONE } from "../protocol/names.ts";
import type { MessageRow } from "./messages.ts";

/** Characters of content a row here carries at most (`content_chars` says how long it is). */
export const ROW_CONTENT_CHARS = 16 * 1024;
/** Characters of data (JSON) a row here carries at most: longer data is left out (`data` null, `data_chars` its length). */
export const ROW_DATA_CHARS = 16 * 1024;

/** Columns of a bounded row (`p`: a table prefix): however large a message, SQLite hands over at most about 32 KiB of it. */
function bounded(p = ""): string {
  return `${p}id AS id, ${p}sender AS sender, ${p}recipient AS recipient, ${p}kind AS kind,
    substr(${p}content, 1, ${ROW_CONTENT_CHARS}) AS content, length(${p}content) AS content_chars,
    CASE WHEN length(${p}data) > ${ROW_DATA_CHARS} THEN NULL ELSE ${p}data END AS data, length(${p}data) AS data_chars,
    ${p}reply_to AS reply_to, ${p}created_at AS created_at, ${p}read_at AS read_at, ${p}large_file AS large_file`;
}
const COLUMNS = bounded();

/** A message row with its content and data bounded (see ROW_CONTENT_CHARS, ROW_DATA_CHARS). */
export type BoundedRow = Omit<MessageRow, "sender_id" | "recipient_id"> & {
  /** Characters of the whole content. */
  content_chars: number;
  /** Characters of the whole data (JSON), or null when there is none. */
  data_chars: number | null;
};

/** One conversation: two names in order, or EVERYONE twice for broadcasts; its newest message id. */
export interface ConversationRow {
  a: string;
  b: string;
  last_id: number;
}

/** Most messages one conversations() call walks (newest first) to find its page. */
export const CONVERSATION_SCAN_LIMIT = 200_000;

export class Overview {
  private readonly sNewest: Statement<Pick<MessageRow, "id" | "sender" | "recipient" | "kind">>;
  private readonly sPair: Statement<BoundedRow>;
  private readonly sBroadcasts: Statement<BoundedRow>;
  private readonly sOne: Statement<BoundedRow>;
  private readonly sSearch: Statement<BoundedRow>;

  constructor(db: Database) {
    this.sNewest = db.prepare("SELECT id, sender, recipient, kind FROM messages ORDER BY id DESC");
    // Two index ranges (messages_from), merged: newest first, then reversed by the caller.
    this.sPair = db.prepare(
      `SELECT * FROM (
         SELECT ${COLUMNS} FROM messages WHERE sender = ?1 AND recipient = ?2 AND kind != 'broadcast' AND id < ?3 ORDER BY id DESC LIMIT ?4)
       UNION ALL SELECT * FROM (
         SELECT ${COLUMNS} FROM messages WHERE sender = ?2 AND recipient = ?1 AND kind != 'broadcast' AND id < ?3 AND ?1 != ?2 ORDER BY id DESC LIMIT ?4)
       ORDER BY id DESC LIMIT ?4`,
    );
    // One row per broadcast: its copies share sender, time and content.
    this.sBroadcasts = db.prepare(
      `SELECT min(id) AS id, sender, '${EVERYONE}' AS recipient, kind,
              substr(content, 1, ${ROW_CONTENT_CHARS}) AS content, length(content) AS content_chars,
              CASE WHEN length(data) > ${ROW_DATA_CHARS} THEN NULL ELSE data END AS data, length(data) AS data_chars,
              reply_to, created_at, NULL AS read_at, large_file
       FROM messages WHERE kind = 'broadcast' AND id < ?1
       GROUP BY sender, created_at, messages.content ORDER BY id DESC LIMIT ?2`,
    );
    this.sOne = db.prepare(`SELECT ${COLUMNS} FROM messages WHERE id = ?1`);
    this.sSearch = db.prepare(
      `SELECT ${bounded("m.")} FROM messages_fts f JOIN messages m ON m.id = f.rowid
       WHERE messages_fts MATCH ?1 ORDER BY m.id DESC LIMIT ?2`,
    );
  }

  /**
   * Conversations, newest activity first: `limit` of them after skipping
   * `offset`. Walks messages from the newest (by primary key) until it has
   * enough distinct conversations, so the first page costs a few rows, not a
   * scan of the table; it stops after CONVERSATION_SCAN_LIMIT messages.
   */
  conversations(limit: number, offset: number): ConversationRow[] {
    const found = new Map<string, ConversationRow>();
    let walked = 0;
    for (const r of this.sNewest.iterate()) {
      const broadcast = r.kind === "broadcast";
      const a = broadcast ? EVERYONE : r.sender < r.recipient ? r.sender : r.recipient;
      const b = broadcast ? EVERYONE : r.sender < r.recipient ? r.recipient : r.sender;
      const key = `${a}\u0000${b}`;
      if (!found.has(key)) {
        found.set(key, { a, b, last_id: r.id });
        if (found.size >= offset + limit) break;
      }
      if (++walked >= CONVERSATION_SCAN_LIMIT) break;
    }
    return [...found.values()].slice(offset);
  }

  /**
   * Up to `limit` messages of one conversation with ids below `before`, oldest
   * first (a page ending at `before`). `a`/`b` are names, or EVERYONE twice.
   */
  conversation(a: string, b: string, limit: number, before = Number.MAX_SAFE_INTEGER): BoundedRow[] {
    const rows = a === EVERYONE ? this.sBroadcasts.all(before, limit) : this.sPair.all(a, b, before, limit);
    return rows.reverse();
  }

  /** Message `id`, bounded, or null. */
  one(id: number): BoundedRow | null {
    return this.sOne.get(id);
  }

  /** Messages matching FTS5 expression `match` (see SearchIndex), newest first, bounded. */
  search(match: string, limit: number): BoundedRow[] {
    return this.sSearch.all(match, limit);
  }
}
