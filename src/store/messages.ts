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
/** Matches the `messages_inbox` index (recipient, this, then the rowid id): `= 0` unread, `= 1` read. */
const IS_READ = "(read_at IS NOT NULL)";

/** An unread message's size, read without its text (octet_length reads no overflow page). */
export interface UnreadSize {
  id: number;
  /** UTF-8 bytes of content (0 for a large message, whose reply carries a summary). */
  content_bytes: number;
  /** UTF-8 bytes of data (0 when none). */
  data_bytes: number;
}

/** A row insertLater holds until drain: its id, then the insert's parameters ?2… in order. */
type HeldRow = [number, string, string, MessageKind, string, string | null, number | null, number, number | null, string | null];

export class MessageStore {
  private readonly sInsert: Statement;
  private readonly sInsertWithId: Statement;
  private readonly sMaxId: Statement<{ id: number | null }>;
  /** Rows insertLater handed an id and has not written yet, oldest first. */
  private held: HeldRow[] = [];
  /** The id the next row gets (max(id) + 1: ids are never reused); 0 until read from the table. */
  private nextId = 0;
  private readonly sSetLarge: Statement;
  private readonly sGet: Statement<MessageRow>;
  private readonly sPeek: Statement<MessageRow>;
  private readonly sPeekFrom: Statement<MessageRow>;
  private readonly sUnreadSizes: Statement<UnreadSize>;
  private readonly sUnreadSizesFrom: Statement<UnreadSize>;
  private readonly sConsume: Statement<MessageRow>;
  private readonly sConsumeFrom: Statement<MessageRow>;
  private readonly sUnreadCounts: Statement<{ recipient: string; n: number }>;
  private readonly sSent: Statement<MessageRow>;
  private readonly sSentTo: Statement<MessageRow>;
  private readonly sHeld: Statement<{ name: string; until_id: number | null }>;
  private readonly sReceived: Statement<MessageRow>;
  private readonly sReceivedFrom: Statement<MessageRow>;
  private readonly sReceivedIn: Statement<MessageRow>;
  private readonly sMoveUnread: Statement;
  private readonly sCount: Statement<{ n: number }>;
  private readonly sMarkRead: Statement;
  private readonly sUnmarkRead: Statement;
  private readonly sWithdraw: Statement;
  private readonly sChannelHistory: Statement<MessageRow>;
  private readonly sRecordOf: Statement<{ id: number | null }>;
  private readonly sReplies: Statement<MessageRow>;

  /** `onHeldWriteFailed` runs when drain fails, before it throws: the transaction holding the rows written so far must be abandoned. */
  constructor(
    private readonly db: Database,
    private readonly onHeldWriteFailed: (err: unknown) => void = () => {},
  ) {
    this.sInsert = db.prepare(
      `INSERT INTO messages (sender, recipient, kind, content, data, reply_to, created_at, read_at, sender_id, recipient_id, channel)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,
               (SELECT identity FROM instances WHERE name = ?1), (SELECT identity FROM instances WHERE name = ?2), ?9)`,
    );
    this.sInsertWithId = db.prepare(
      `INSERT INTO messages (id, sender, recipient, kind, content, data, reply_to, created_at, read_at, sender_id, recipient_id, channel)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,
               (SELECT identity FROM instances WHERE name = ?2), (SELECT identity FROM instances WHERE name = ?3), ?10)`,
    );
    this.sMaxId = db.prepare("SELECT max(id) AS id FROM messages");
    this.sSetLarge = db.prepare("UPDATE messages SET large_file = ? WHERE id = ?");
    this.sGet = db.prepare(`SELECT ${COLUMNS} FROM messages WHERE id = ?`);
    this.sPeek = db.prepare(
      `SELECT ${COLUMNS} FROM messages WHERE recipient = ? AND ${IS_READ} = 0 ORDER BY id LIMIT ?`,
    );
    this.sPeekFrom = db.prepare(
      `SELECT ${COLUMNS} FROM messages WHERE recipient = ? AND ${IS_READ} = 0 AND sender = ? ORDER BY id LIMIT ?`,
    );
    const sizes = "id, CASE WHEN large_file IS NULL THEN octet_length(content) ELSE 0 END AS content_bytes, coalesce(octet_length(data), 0) AS data_bytes";
    this.sUnreadSizes = db.prepare(`SELECT ${sizes} FROM messages WHERE recipient = ? AND ${IS_READ} = 0 ORDER BY id LIMIT ?`);
    this.sUnreadSizesFrom = db.prepare(`SELECT ${sizes} FROM messages WHERE recipient = ? AND ${IS_READ} = 0 AND sender = ? ORDER BY id LIMIT ?`);
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
    // History (see `history`): the sent half is one range of messages_sent; the received half is, for
    // each name the identity held (held_names), the two ranges (unread, read) of that name in
    // messages_inbox, keeping the rows whose recipient_id is the identity.
    this.sSent = db.prepare(`SELECT ${COLUMNS} FROM messages WHERE sender_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3`);
    this.sSentTo = db.prepare(
      `SELECT ${COLUMNS} FROM messages WHERE sender_id = ?1 AND id < ?2 AND recipient = ?4 ORDER BY id DESC LIMIT ?3`,
    );
    this.sHeld = db.prepare("SELECT name, until_id FROM held_names WHERE identity = ?");
    const received = (extra: string) =>
      db.prepare<MessageRow, [string, number, number, number, number] | [string, number, number, number, number, string]>(
        `SELECT ${COLUMNS} FROM messages WHERE recipient = ?1 AND ${IS_READ} = ?2 AND id < ?3 AND recipient_id = ?4${extra}
         ORDER BY id DESC LIMIT ?5`,
      );
    this.sReceived = received("");
    this.sReceivedFrom = received(" AND sender = ?6");
    this.sReceivedIn = received(" AND channel = ?6");
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
    // The record of a member's copy: the copies follow their record in one transaction.
    this.sRecordOf = db.prepare(`SELECT max(id) AS id FROM messages WHERE recipient = ?1 AND ${IS_READ} = 1 AND id <= ?2`);
    this.sReplies = db.prepare(`SELECT ${COLUMNS} FROM messages WHERE reply_to = ? ORDER BY id LIMIT 1000`);
  }

  /** A channel's posts (their records), newest first, below id `before`. */
  channelHistory(channel: string, limit: number, before = Number.MAX_SAFE_INTEGER): MessageRow[] {
    this.drain();
    return this.sChannelHistory.all(channel, before, limit);
  }

  /** Identity `who`'s copies of `channel`'s posts, newest first, below id `before`. */
  channelCopies(who: number, channel: string, limit: number, before = Number.MAX_SAFE_INTEGER): MessageRow[] {
    this.drain();
    return newest(this.receivedBy(who, before, limit, this.sReceivedIn, channel), limit);
  }

  /** The id of the record a channel copy (`id` in `channel`) was made from, or null. */
  recordOf(channel: string, id: number): number | null {
    this.drain();
    return this.sRecordOf.get(channel, id)?.id ?? null;
  }

  /** The direct replies of message `id` (at most 1 000), oldest first. */
  replies(id: number): MessageRow[] {
    this.drain();
    return this.sReplies.all(id);
  }

  /** Stores a message now (after any held rows); returns its id. */
  insert(m: NewMessage): number {
    this.drain();
    const r = this.sInsert.run(m.sender, m.recipient, m.kind, m.content, m.data, m.reply_to, m.created_at, m.read_at, m.channel ?? null);
    const id = Number(r.lastInsertRowid);
    if (this.nextId !== 0) this.nextId = id + 1;
    return id;
  }

  /**
   * Hands out the id message `m` gets and holds the row back until `drain`,
   * which the caller must run in the same transaction before anything else
   * reads or writes the table (every other method here drains first). The
   * broker's sends use this so that a group's inserts run back to back at the
   * end of a connection's frames, with SQLite's pages still in the CPU's
   * caches, instead of between the JavaScript of each frame.
   */
  insertLater(m: NewMessage): number {
    if (this.nextId === 0) this.nextId = (this.sMaxId.get()?.id ?? 0) + 1;
    const id = this.nextId++;
    this.held.push([id, m.sender, m.recipient, m.kind, m.content, m.data, m.reply_to, m.created_at, m.read_at, m.channel ?? null]);
    return id;
  }

  /**
   * Writes the rows insertLater holds, oldest first, in the open transaction.
   * @throws the SQLite error of the first row that fails (disk full, say), or an Error when no
   *   transaction is open any more; the held rows are dropped and onHeldWriteFailed has run (the
   *   transaction must be abandoned: only some rows were written).
   */
  drain(): void {
    if (this.held.length === 0) return;
    const held = this.held;
    this.held = [];
    try {
      // Outside a transaction each row would commit on its own: SQLite rolled back the one they were held for.
      if (!this.db.inTransaction) throw new Error("the transaction these messages were held for was rolled back");
      for (const r of held) this.sInsertWithId.run(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9]);
    } catch (err) {
      this.nextId = 0;
      this.onHeldWriteFailed(err);
      throw err;
    }
  }

  /** After a rollback: drops the held rows, and reads the next id from the table again. */
  rolledBack(): void {
    this.held = [];
    this.nextId = 0;
  }

  /** Records where the large-message copy of `id` was written. */
  setLargeFile(id: number, path: string): void {
    this.drain();
    this.sSetLarge.run(path, id);
  }

  get(id: number): MessageRow | null {
    this.drain();
    return this.sGet.get(id);
  }

  /** Unread messages of `recipient`, oldest first, optionally only from `sender`; nothing is marked read. */
  peek(recipient: string, limit: number, sender?: string): MessageRow[] {
    this.drain();
    return sender === undefined ? this.sPeek.all(recipient, limit) : this.sPeekFrom.all(recipient, sender, limit);
  }

  /** Sizes of the unread messages peek(recipient, limit, sender) would return, without reading their text. */
  unreadSizes(recipient: string, limit: number, sender?: string): UnreadSize[] {
    this.drain();
    return sender === undefined ? this.sUnreadSizes.all(recipient, limit) : this.sUnreadSizesFrom.all(recipient, sender, limit);
  }

  /** Marks up to `limit` unread messages read at `now` and returns them, oldest first (one statement). */
  consume(recipient: string, limit: number, now: number, sender?: string): MessageRow[] {
    this.drain();
    const rows =
      sender === undefined
        ? this.sConsume.all(now, recipient, limit)
        : this.sConsumeFrom.all(now, recipient, limit, sender);
    return rows.length > 1 ? rows.sort((a, b) => a.id - b.id) : rows;
  }

  /** Marks one message read at `now` if it is unread. */
  markRead(id: number, now: number): void {
    this.drain();
    this.sMarkRead.run(now, id);
  }

  /** Makes messages unread again (within the transaction that marked them: a reply that could not hold them). */
  unmarkRead(ids: readonly number[]): void {
    this.drain();
    for (const id of ids) this.sUnmarkRead.run(id);
  }

  /**
   * Withdraws unread message `id` (unsend): it is kept, so its id is never
   * handed out again, but becomes a read note from the sender to itself whose
   * content is `note`. Returns false when it was read meanwhile.
   */
  withdraw(id: number, note: string, now: number): boolean {
    this.drain();
    return this.sWithdraw.run(id, note, now).changes === 1;
  }

  /** Unread count of every recipient that has any. */
  unreadCounts(): Map<string, number> {
    this.drain();
    const out = new Map<string, number>();
    for (const r of this.sUnreadCounts.all()) out.set(r.recipient, r.n);
    return out;
  }

  /**
   * Messages identity `who` sent or received (under any name it held), newest
   * first; only with the name `other` when given; ids below `before`.
   */
  history(who: number, limit: number, before = Number.MAX_SAFE_INTEGER, other?: string): MessageRow[] {
    this.drain();
    const sent = other === undefined ? this.sSent.all(who, before, limit) : this.sSentTo.all(who, before, limit, other);
    const received = other === undefined
      ? this.receivedBy(who, before, limit, this.sReceived)
      : this.receivedBy(who, before, limit, this.sReceivedFrom, other);
    received.push(sent);
    return newest(received, limit);
  }

  /**
   * Messages identity `who` received (one list per index range: each newest first, at most `limit`),
   * below id `before`, through `query` (sReceived*, with `extra` as its ?6 when it takes one).
   */
  private receivedBy(who: number, before: number, limit: number, query: Statement<MessageRow>, extra?: string): MessageRow[][] {
    const lists: MessageRow[][] = [];
    for (const h of this.sHeld.all(who)) {
      const below = h.until_id === null ? before : Math.min(before, h.until_id + 1);
      for (const read of [0, 1]) {
        const rows = extra === undefined ? query.all(h.name, read, below, who, limit) : query.all(h.name, read, below, who, limit, extra);
        if (rows.length > 0) lists.push(rows);
      }
    }
    return lists;
  }

  /** Moves every unread message of `from` to `to` (rename); returns how many moved. */
  moveUnread(from: string, to: string): number {
    this.drain();
    return this.sMoveUnread.run(to, from).changes;
  }

  /** Messages stored (a full count: at start and after a rollback only). */
  count(): number {
    this.drain();
    return this.sCount.get()!.n;
  }
}

/** The `limit` newest rows of `lists` (each newest first), each id once, newest first. */
function newest(lists: MessageRow[][], limit: number): MessageRow[] {
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length === 0) return [];
  if (nonEmpty.length === 1) return nonEmpty[0]!.slice(0, limit);
  const byId = new Map<number, MessageRow>();
  for (const l of nonEmpty) for (const r of l) byId.set(r.id, r);
  return [...byId.values()].sort((a, b) => b.id - a.id).slice(0, limit);
}
