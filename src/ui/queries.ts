/**
 * The dashboard's own read-only queries over `messages` (prepared once, all
 * values bound), keeping direct conversations and channels apart: a channel
 * post is stored once as its record (recipient `#name`) and once per member as
 * that member's copy (recipient the member, `channel` `#name`); the dashboard
 * shows the record, in its channel, and never a copy as a direct message.
 * Rows are bounded as in src/store/overview.ts (16 KiB of content and of data).
 */
import type { Database, Statement } from "bun:sqlite";
import { EVERYONE } from "../protocol/names.ts";
import { type BoundedRow, ROW_CONTENT_CHARS, ROW_DATA_CHARS } from "../store/overview.ts";

/** A bounded row with its channel (`#name` for a post's record or a copy, else null). */
export type Row = BoundedRow & { channel: string | null };

/** Columns of a bounded row (`p`: a table prefix). */
function columns(p = ""): string {
  return `${p}id AS id, ${p}sender AS sender, ${p}recipient AS recipient, ${p}kind AS kind,
    substr(${p}content, 1, ${ROW_CONTENT_CHARS}) AS content, length(${p}content) AS content_chars,
    CASE WHEN length(${p}data) > ${ROW_DATA_CHARS} THEN NULL ELSE ${p}data END AS data, length(${p}data) AS data_chars,
    ${p}reply_to AS reply_to, ${p}created_at AS created_at, ${p}read_at AS read_at, ${p}large_file AS large_file, ${p}channel AS channel`;
}
const COLUMNS = columns();
const IS_READ = "(read_at IS NOT NULL)";

/** One conversation: two names in order, EVERYONE twice for broadcasts, or a channel twice; its newest message id. */
export interface ConversationKey {
  a: string;
  b: string;
  last_id: number;
}

/** Most messages one walk (conversations, graph) reads, newest first. */
export const WALK_LIMIT = 200_000;
/** Most messages the graph walks back for its hour. */
export const GRAPH_WALK_LIMIT = 20_000;

type Head = { id: number; sender: string; recipient: string; kind: string; channel: string | null; created_at: number };

/** True for a member's copy of a channel post (shown through its record only). */
export function isCopy(r: { channel?: string | null; recipient: string }): boolean {
  return r.channel != null && r.recipient !== r.channel;
}

/** The conversation a stored message belongs to (its copy's: its channel). */
export function conversationOf(r: { sender: string; recipient: string; kind: string; channel?: string | null }): { a: string; b: string } {
  if (r.kind === "broadcast") return { a: EVERYONE, b: EVERYONE };
  if (r.channel != null) return { a: r.channel, b: r.channel };
  return r.sender < r.recipient ? { a: r.sender, b: r.recipient } : { a: r.recipient, b: r.sender };
}

export class Queries {
  private readonly sNewest: Statement<Head>;
  private readonly sPair: Statement<Row>;
  private readonly sChannel: Statement<Row>;
  private readonly sBroadcasts: Statement<Row>;
  private readonly sBroadcastCopies: Statement<{ id: number; recipient: string; read_at: number | null }>;
  private readonly sOne: Statement<Row>;
  private readonly sCopies: Statement<{ recipient: string; read_at: number | null }>;
  private readonly sUnreadCopies: Statement<{ n: number }>;
  private readonly sSearch: Statement<Row>;
  private readonly sEdges: Statement<{ sender: string; target: string; n: number }>;
  private readonly sMaxId: Statement<{ id: number | null }>;

  constructor(db: Database) {
    this.sNewest = db.prepare("SELECT id, sender, recipient, kind, channel, created_at FROM messages ORDER BY id DESC");
    // Direct messages only (no channel copies, no broadcasts): two index ranges of messages_inbox, merged.
    this.sPair = db.prepare(
      `SELECT * FROM (
         SELECT ${COLUMNS} FROM messages WHERE recipient = ?2 AND sender = ?1 AND kind = 'direct' AND id < ?3 ORDER BY id DESC LIMIT ?4)
       UNION ALL SELECT * FROM (
         SELECT ${COLUMNS} FROM messages WHERE recipient = ?1 AND sender = ?2 AND kind = 'direct' AND id < ?3 AND ?1 != ?2 ORDER BY id DESC LIMIT ?4)
       ORDER BY id DESC LIMIT ?4`,
    );
    // A channel's records: recipient '#name', stored read.
    this.sChannel = db.prepare(`SELECT ${COLUMNS} FROM messages WHERE recipient = ?1 AND ${IS_READ} = 1 AND id < ?2 ORDER BY id DESC LIMIT ?3`);
    this.sBroadcasts = db.prepare(
      `SELECT min(id) AS id, sender, '${EVERYONE}' AS recipient, kind,
              substr(content, 1, ${ROW_CONTENT_CHARS}) AS content, length(content) AS content_chars,
              CASE WHEN length(data) > ${ROW_DATA_CHARS} THEN NULL ELSE data END AS data, length(data) AS data_chars,
              reply_to, created_at, NULL AS read_at, large_file, NULL AS channel
       FROM messages WHERE kind = 'broadcast' AND id < ?1
       GROUP BY sender, created_at, messages.content ORDER BY id DESC LIMIT ?2`,
    );
    this.sOne = db.prepare(`SELECT ${COLUMNS} FROM messages WHERE id = ?1`);
    // A record's copies follow it in one transaction: a primary-key range, up to the channel's next record.
    this.sCopies = db.prepare(
      `SELECT recipient, read_at FROM messages WHERE id > ?1 AND id <= ?1 + ?2 AND channel = ?3 AND sender = ?4 AND recipient != ?3
         AND id < coalesce((SELECT min(id) FROM messages WHERE recipient = ?3 AND ${IS_READ} = 1 AND id > ?1), ?1 + ?2 + 1)`,
    );
    // A broadcast's copies: stored one per recipient in one transaction (consecutive ids), same sender and time.
    this.sBroadcastCopies = db.prepare(
      `SELECT id, recipient, read_at FROM messages WHERE id > ?1 - ?2 AND id < ?1 + ?2 AND kind = 'broadcast' AND sender = ?3 AND created_at = ?4
       ORDER BY id`,
    );
    this.sSearch = db.prepare(
      `SELECT ${columns("m.")} FROM messages_fts f JOIN messages m ON m.id = f.rowid
       WHERE messages_fts MATCH ?1 AND NOT (m.channel IS NOT NULL AND m.recipient != m.channel) ORDER BY m.id DESC LIMIT ?2`,
    );
    // Who wrote to whom in a primary-key range: channel copies left out (their record counts), a broadcast once
    // (its copies share sender and time: counted by distinct time), self-sends left out.
    this.sEdges = db.prepare(
      `SELECT sender, CASE WHEN kind = 'broadcast' THEN '${EVERYONE}' ELSE recipient END AS target,
              count(DISTINCT CASE WHEN kind = 'broadcast' THEN created_at ELSE id END) AS n
       FROM messages WHERE id > ?1 AND created_at >= ?2 AND NOT (channel IS NOT NULL AND recipient != channel) AND sender != recipient
       GROUP BY sender, target`,
    );
    this.sMaxId = db.prepare("SELECT max(id) AS id FROM messages");
    this.sUnreadCopies = db.prepare(`SELECT count(*) AS n FROM messages WHERE recipient = ?1 AND ${IS_READ} = 0 AND channel = ?2`);
  }

  /**
   * Conversations, newest activity first: `limit` of them after skipping
   * `offset`; channel copies count as their channel. Walks messages newest
   * first by primary key (a few rows for a page), at most WALK_LIMIT.
   */
  conversations(limit: number, offset: number): ConversationKey[] {
    const found = new Map<string, ConversationKey>();
    let walked = 0;
    for (const r of this.sNewest.iterate()) {
      if (!isCopy(r)) {
        const { a, b } = conversationOf(r);
        const key = `${a}\u0000${b}`;
        if (!found.has(key)) {
          found.set(key, { a, b, last_id: r.id });
          if (found.size >= offset + limit) break;
        }
      }
      if (++walked >= WALK_LIMIT) break;
    }
    return [...found.values()].slice(offset);
  }

  /** Up to `limit` messages of a conversation (two names, a channel twice, or EVERYONE twice) below id `before`, oldest first. */
  conversation(a: string, b: string, limit: number, before = Number.MAX_SAFE_INTEGER): Row[] {
    const rows =
      a === EVERYONE ? this.sBroadcasts.all(before, limit) : a.startsWith("#") ? this.sChannel.all(a, before, limit) : this.sPair.all(a, b, before, limit);
    return rows.reverse();
  }

  /** Message `id`, bounded, or null. */
  one(id: number): Row | null {
    return this.sOne.get(id);
  }

  /** Messages matching FTS5 expression `match`, newest first, without channel copies (a post matches once, as its record). */
  search(match: string, limit: number): Row[] {
    return this.sSearch.all(match, limit);
  }

  /** The latest post (record) of `channel`, or null. */
  latestPost(channel: string): Row | null {
    return this.sChannel.get(channel, Number.MAX_SAFE_INTEGER, 1);
  }

  /** The copies of a channel post's record `r` (members when it was posted: at most `members`): who has read theirs. */
  copies(r: { id: number; sender: string; channel: string | null }, members: number): { recipient: string; read_at: number | null }[] {
    if (r.channel === null) return [];
    return this.sCopies.all(r.id, members, r.channel, r.sender);
  }

  /**
   * The copies of the broadcast that copy `r` belongs to (at most `recipients` of them, around its
   * id: a broadcast's copies are consecutive), oldest first: the first one's id is the broadcast's
   * as the broadcasts' conversation lists it.
   */
  broadcastCopies(r: { id: number; sender: string; created_at: number }, recipients: number): { id: number; recipient: string; read_at: number | null }[] {
    return this.sBroadcastCopies.all(r.id, recipients, r.sender, r.created_at);
  }

  /** Unread copies of `channel`'s posts in `member`'s inbox. */
  unreadCopies(member: string, channel: string): number {
    return this.sUnreadCopies.get(member, channel)?.n ?? 0;
  }

  /**
   * Who wrote to whom since `since` (ms) among the newest GRAPH_WALK_LIMIT
   * messages: sender → recipient (a channel's record → the channel; a
   * broadcast once, → EVERYONE) with counts.
   */
  edges(since: number): { edges: { from: string; to: string; count: number }[]; walked: number } {
    const max = this.sMaxId.get()?.id ?? 0;
    const edges = this.sEdges.all(max - GRAPH_WALK_LIMIT, since).map((r) => ({ from: r.sender, to: r.target, count: r.n }));
    return { edges, walked: Math.min(max, GRAPH_WALK_LIMIT) };
  }
}
