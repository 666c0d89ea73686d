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

const COLUMNS = "id, sender, recipient, kind, content, data, reply_to, created_at, read_at, large_file";

/** One conversation: two names (in order), or `*` and `*` for broadcasts; its newest message id and size. */
export interface ConversationRow {
  a: string;
  b: string;
  last_id: number;
  count: number;
}

export class Overview {
  private readonly sConversations: Statement<ConversationRow>;
  private readonly sPair: Statement<MessageRow>;
  private readonly sBroadcasts: Statement<MessageRow>;

  constructor(db: Database) {
    // A broadcast is stored once per recipient: it belongs to the `*` conversation.
    const a = `CASE WHEN kind = 'broadcast' THEN '${EVERYONE}' WHEN sender < recipient THEN sender ELSE recipient END`;
    const b = `CASE WHEN kind = 'broadcast' THEN '${EVERYONE}' WHEN sender < recipient THEN recipient ELSE sender END`;
    this.sConversations = db.prepare(
      `SELECT ${a} AS a, ${b} AS b, max(id) AS last_id, count(*) AS count
       FROM messages GROUP BY 1, 2 ORDER BY last_id DESC LIMIT ?1 OFFSET ?2`,
    );
    // Two index ranges (messages_from), merged: newest first, then reversed by the caller.
    this.sPair = db.prepare(
      `SELECT ${COLUMNS} FROM (
         SELECT ${COLUMNS} FROM messages WHERE sender = ?1 AND recipient = ?2 AND kind != 'broadcast' AND id < ?3 ORDER BY id DESC LIMIT ?4)
       UNION ALL SELECT ${COLUMNS} FROM (
         SELECT ${COLUMNS} FROM messages WHERE sender = ?2 AND recipient = ?1 AND kind != 'broadcast' AND id < ?3 AND ?1 != ?2 ORDER BY id DESC LIMIT ?4)
       ORDER BY id DESC LIMIT ?4`,
    );
    // One row per broadcast: its copies share sender, time and content.
    this.sBroadcasts = db.prepare(
      `SELECT min(id) AS id, sender, '${EVERYONE}' AS recipient, kind, content, data, reply_to, created_at,
              NULL AS read_at, large_file
       FROM messages WHERE kind = 'broadcast' AND id < ?1
       GROUP BY sender, created_at, content ORDER BY id DESC LIMIT ?2`,
    );
  }

  /** Conversations, newest activity first; `limit` rows after skipping `offset`. */
  conversations(limit: number, offset: number): ConversationRow[] {
    return this.sConversations.all(limit, offset);
  }

  /**
   * Up to `limit` messages of one conversation with ids below `before`, oldest
   * first (a page ending at `before`). `a`/`b` are names, or EVERYONE twice.
   */
  conversation(a: string, b: string, limit: number, before = Number.MAX_SAFE_INTEGER): MessageRow[] {
    const rows = a === EVERYONE ? this.sBroadcasts.all(before, limit) : this.sPair.all(a, b, before, limit);
    return rows.reverse();
  }
}
