/**
 * Prepared queries over the `messages` table. Every statement is prepared
 * once; content and data are always bound parameters, never SQL text.
 */
import type { Database, Statement } from "bun:sqlite";
import type { MessageKind } from "../protocol/message.ts";

/** A stored message, as the table holds it. Times in ms since the epoch. */
export interface MessageRow {
  id: number;
  sender: string;
  recipient: string;
  kind: MessageKind;
  content: string;
  data: string | null;
  reply_to: number | null;
  created_at: number;
  read_at: number | null;
  large_file: string | null;
  /** Identity of the sender when it sent (null: the system, or not known). */
  sender_id: number | null;
  /** Identity of the recipient (null: nobody held the name yet). */
  recipient_id: number | null;
  /** The channel ('#name') of a channel post's record and of its members' copies; null otherwise. */
  channel?: string | null;
}

/** What `insert` needs (the identities are those holding the names at insert time). */
export type NewMessage = Omit<MessageRow, "id" | "large_file" | "sender_id" | "recipient_id">;

const COLUMNS = "id, sender, recipient, kind, content, data, reply_to, created_at, read_at, large_file, sender_id, recipient_id, channel";
/** Matches the `messages_inbox` index: `= 0` unread, `= 1` read. */
const IS_READ = "(read_at IS NOT NULL)";

export class MessageStore {
  private readonly sInsert: Statement;
  private readonly sSetLarge: Statement;
  private readonly sGet: Statement<MessageRow>;
  private readonly sPeek: Statement<MessageRow>;
  private readonly sPeekFrom: Statement<MessageRow>;
  private readonly sConsume: Statement<MessageRow>;
  private readonly sConsumeFrom: Statement<MessageRow>;
  private readonly sUnreadCounts: Statement<{ recipient: string; n: number }>;
  private readonly sHistory: Statement<MessageRow>;
  private readonly sHistoryWith: Statement<MessageRow>;
  private readonly sMoveUnread: Statement;
  private readonly sCount: Statement<{ n: number }>;
  private readonly sMarkRead: Statement;
  private readonly sUnmarkRead: Statement;
  private readonly sWithdraw: Statement;
  private readonly sChannelHistory: Statement<MessageRow>;
  private readonly sChannelCopies: Statement<MessageRow>;
  private readonly sRecordOf: Statement<{ id: number | null }>;
  private readonly sReplies: Statement<MessageRow>;

  constructor(db: Database) {
    this.sInsert = db.prepare(
      `INSERT INTO messages (sender, recipient, kind, content, data, reply_to, created_at, read_at, sender_id, recipient_id, channel)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,
               (SELECT identity FROM instances WHERE name = ?1), (SELECT identity FROM instances WHERE name = ?2), ?9)`,
    );
    this.sSetLarge = db.prepare("UPDATE messages SET large_file = ? WHERE id = ?");
    this.sGet = db.prepare(`SELECT ${COLUMNS} FROM messages WHERE id = ?`);
    this.sPeek = db.prepare(
      `SELECT ${COLUMNS} FROM messages WHERE recipient = ? AND ${IS_READ} = 0 ORDER BY id LIMIT ?`,
    );
    this.sPeekFrom = db.prepare(
      `SELECT ${COLUMNS} FROM messages WHERE recipient = ? AND ${IS_READ} = 0 AND sender = ? ORDER BY id LIMIT ?`,
    );
    this.sConsume = db.prepare(
      `UPDATE messages SET read_at = ?1 WHERE id IN (
         SELECT id FROM messages WHERE recipient = ?2 AND ${IS_READ} = 0 ORDER BY id LIMIT ?3
       ) RETURNING ${COLUMNS}`,
    );
    this.sConsumeFrom = db.prepare(
      `UPDATE messages SET read_at = ?1 WHERE id IN (
         SELECT id FROM messages WHERE recipient = ?2 AND ${IS_READ} = 0 AND sender = ?4 ORDER BY id LIMIT ?3
       ) RETURNING ${COLUMNS}`,
    );
    this.sUnreadCounts = db.prepare(
      `SELECT recipient, count(*) AS n FROM messages WHERE ${IS_READ} = 0 GROUP BY recipient`,
    );
    // Two ordered index ranges of one identity (sent; received), merged.
    const range = (where: string) =>
      `SELECT ${COLUMNS} FROM (SELECT ${COLUMNS} FROM messages WHERE ${where} AND id < ?2 ORDER BY id DESC LIMIT ?3)`;
    this.sHistory = db.prepare(`${range("sender_id = ?1")} UNION ${range("recipient_id = ?1")} ORDER BY id DESC LIMIT ?3`);
    this.sHistoryWith = db.prepare(
      `SELECT ${COLUMNS} FROM messages
       WHERE id < ?2 AND ((sender_id = ?1 AND recipient = ?4) OR (recipient_id = ?1 AND sender = ?4))
       ORDER BY id DESC LIMIT ?3`,
    );
    this.sMoveUnread = db.prepare(
      `UPDATE messages SET recipient = ? WHERE recipient = ? AND ${IS_READ} = 0`,
    );
    this.sMarkRead = db.prepare("UPDATE messages SET read_at = ? WHERE id = ? AND read_at IS NULL");
    this.sUnmarkRead = db.prepare("UPDATE messages SET read_at = NULL WHERE id = ?");
    this.sWithdraw = db.prepare(
      "UPDATE messages SET recipient = sender, recipient_id = sender_id, content = ?2, data = NULL, large_file = NULL, read_at = ?3 WHERE id = ?1 AND read_at IS NULL",
    );
    this.sCount = db.prepare("SELECT count(*) AS n FROM messages");
    // A channel's records (recipient '#name', stored read): one row per post.
    this.sChannelHistory = db.prepare(
      `SELECT ${COLUMNS} FROM messages WHERE recipient = ?1 AND ${IS_READ} = 1 AND id < ?2 ORDER BY id DESC LIMIT ?3`,
    );
    // One member's copies of a channel's posts (messages_received, filtered by channel).
    this.sChannelCopies = db.prepare(`SELECT ${COLUMNS} FROM messages WHERE recipient_id = ?1 AND channel = ?2 AND id < ?3 ORDER BY id DESC LIMIT ?4`);
    // The record of a member's copy: the copies follow their record in one transaction.
    this.sRecordOf = db.prepare(`SELECT max(id) AS id FROM messages WHERE recipient = ?1 AND ${IS_READ} = 1 AND id <= ?2`);
    this.sReplies = db.prepare(`SELECT ${COLUMNS} FROM messages WHERE reply_to = ? ORDER BY id LIMIT 1000`);
  }

  /** A channel's posts (their records), newest first, below id `before`. */
  channelHistory(channel: string, limit: number, before = Number.MAX_SAFE_INTEGER): MessageRow[] {
    return this.sChannelHistory.all(channel, before, limit);
  }

  /** Identity `who`'s copies of `channel`'s posts, newest first, below id `before`. */
  channelCopies(who: number, channel: string, limit: number, before = Number.MAX_SAFE_INTEGER): MessageRow[] {
    return this.sChannelCopies.all(who, channel, before, limit);
  }

  /** The id of the record a channel copy (`id` in `channel`) was made from, or null. */
  recordOf(channel: string, id: number): number | null {
    return this.sRecordOf.get(channel, id)?.id ?? null;
  }

  /** The direct replies of message `id` (at most 1 000), oldest first. */
  replies(id: number): MessageRow[] {
    return this.sReplies.all(id);
  }

  /** Stores a message; returns its id. */
  insert(m: NewMessage): number {
    const r = this.sInsert.run(m.sender, m.recipient, m.kind, m.content, m.data, m.reply_to, m.created_at, m.read_at, m.channel ?? null);
    return Number(r.lastInsertRowid);
  }

  /** Records where the large-message copy of `id` was written. */
  setLargeFile(id: number, path: string): void {
    this.sSetLarge.run(path, id);
  }

  get(id: number): MessageRow | null {
    return this.sGet.get(id);
  }

  /** Unread messages of `recipient`, oldest first, optionally only from `sender`; nothing is marked read. */
  peek(recipient: string, limit: number, sender?: string): MessageRow[] {
    return sender === undefined ? this.sPeek.all(recipient, limit) : this.sPeekFrom.all(recipient, sender, limit);
  }

  /** Marks up to `limit` unread messages read at `now` and returns them, oldest first (one statement). */
  consume(recipient: string, limit: number, now: number, sender?: string): MessageRow[] {
    const rows =
      sender === undefined
        ? this.sConsume.all(now, recipient, limit)
        : this.sConsumeFrom.all(now, recipient, limit, sender);
    return rows.length > 1 ? rows.sort((a, b) => a.id - b.id) : rows;
  }

  /** Marks one message read at `now` if it is unread. */
  markRead(id: number, now: number): void {
    this.sMarkRead.run(now, id);
  }

  /** Makes messages unread again (within the transaction that marked them: a reply that could not hold them). */
  unmarkRead(ids: readonly number[]): void {
    for (const id of ids) this.sUnmarkRead.run(id);
  }

  /** Unread count of every recipient that has any. */
  /**
   * Withdraws unread message `id` (unsend): it is kept, so its id is never
   * handed out again, but becomes a read note from the sender to itself whose
   * content is `note`. Returns false when it was read meanwhile.
   */
  withdraw(id: number, note: string, now: number): boolean {
    return this.sWithdraw.run(id, note, now).changes === 1;
  }

  unreadCounts(): Map<string, number> {
    const out = new Map<string, number>();
    for (const r of this.sUnreadCounts.all()) out.set(r.recipient, r.n);
    return out;
  }

  /**
   * Messages identity `who` sent or received (under any name it held), newest
   * first; only with the name `other` when given; ids below `before`.
   */
  history(who: number, limit: number, before = Number.MAX_SAFE_INTEGER, other?: string): MessageRow[] {
    return other === undefined
      ? this.sHistory.all(who, before, limit)
      : this.sHistoryWith.all(who, before, limit, other);
  }

  /** Moves every unread message of `from` to `to` (rename); returns how many moved. */
  moveUnread(from: string, to: string): number {
    return this.sMoveUnread.run(to, from).changes;
  }

  /** Messages stored (a full count: at start and after a rollback only). */
  count(): number {
    return this.sCount.get()!.n;
  }
}
