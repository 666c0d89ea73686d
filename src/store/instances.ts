/**
 * Prepared queries over `instances` (registered names, each held by an
 * identity), `identities` (never reused) and `forwards` (old name → new name
 * after a rename, until `expires_at`).
 */
import type { Database, Statement } from "bun:sqlite";

/** A registered instance. Times in ms since the epoch. */
export interface InstanceRow {
  name: string;
  registered_at: number;
  last_seen: number;
  renamed_at: number | null;
  /** The identity holding the name (identities.id): history, search and read go by it. */
  identity: number;
}

/** A forwarding left by a rename. */
export interface ForwardRow {
  old_name: string;
  new_name: string;
  expires_at: number;
}

export class InstanceStore {
  private readonly sAll: Statement<InstanceRow>;
  private readonly sIdentity: Statement<{ identity: number }>;
  private readonly sNewIdentity: Statement;
  private readonly sInsert: Statement;
  private readonly sClaimFuture: Statement;
  private readonly sSeen: Statement;
  private readonly sDelete: Statement;
  private readonly sTouch: Statement;
  private readonly sRename: Statement;
  private readonly sForwards: Statement<ForwardRow>;
  private readonly sSetForward: Statement;
  private readonly sDeleteForward: Statement;
  private readonly sRetarget: Statement;
  private readonly sExpireForwards: Statement;
  private readonly sHold: Statement;
  private readonly sLetGo: Statement;

  constructor(db: Database) {
    this.sAll = db.prepare("SELECT name, registered_at, last_seen, renamed_at, identity FROM instances ORDER BY name");
    this.sIdentity = db.prepare("SELECT identity FROM instances WHERE name = ?");
    this.sNewIdentity = db.prepare("INSERT INTO identities (first_name, created_at) VALUES (?, ?)");
    this.sInsert = db.prepare("INSERT INTO instances (name, registered_at, last_seen, identity) VALUES (?1, ?2, ?2, ?3)");
    // Unread mail already waiting for the name (sent while nobody held it) is the new holder's.
    this.sClaimFuture = db.prepare(
      "UPDATE messages SET recipient_id = ?1 WHERE recipient = ?2 AND (read_at IS NOT NULL) = 0 AND recipient_id IS NULL",
    );
    this.sSeen = db.prepare("UPDATE instances SET last_seen = ?2 WHERE name = ?1");
    this.sDelete = db.prepare("DELETE FROM instances WHERE name = ?");
    this.sTouch = db.prepare("UPDATE instances SET last_seen = ? WHERE name = ? AND last_seen < ?1");
    this.sRename = db.prepare(
      "UPDATE instances SET name = ?2, renamed_at = ?3, last_seen = ?3 WHERE name = ?1",
    );
    this.sForwards = db.prepare("SELECT old_name, new_name, expires_at FROM forwards");
    this.sSetForward = db.prepare(
      `INSERT INTO forwards (old_name, new_name, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (old_name) DO UPDATE SET new_name = excluded.new_name, expires_at = excluded.expires_at`,
    );
    this.sDeleteForward = db.prepare("DELETE FROM forwards WHERE old_name = ?");
    this.sRetarget = db.prepare("UPDATE forwards SET new_name = ?2 WHERE new_name = ?1");
    this.sExpireForwards = db.prepare("DELETE FROM forwards WHERE expires_at <= ?");
    // Which names an identity held (migration 10): the received half of its history is found under them.
    this.sHold = db.prepare(
      "INSERT INTO held_names (identity, name, until_id) VALUES (?1, ?2, NULL) ON CONFLICT (identity, name) DO UPDATE SET until_id = NULL",
    );
    this.sLetGo = db.prepare(
      "UPDATE held_names SET until_id = (SELECT coalesce(max(id), 0) FROM messages) WHERE identity = ?1 AND name = ?2",
    );
  }

  all(): InstanceRow[] {
    return this.sAll.all();
  }

  /**
   * Registers `name` (or refreshes its last_seen) at `now`; returns its
   * identity. A name nobody holds gets a new identity, which takes over the
   * unread mail waiting for the name.
   */
  upsert(name: string, now: number): number {
    const held = this.sIdentity.get(name);
    if (held !== null) {
      this.sSeen.run(name, now);
      return held.identity;
    }
    const identity = Number(this.sNewIdentity.run(name, now).lastInsertRowid);
    this.sInsert.run(name, now, identity);
    this.sHold.run(identity, name);
    this.sClaimFuture.run(identity, name);
    return identity;
  }

  /** Releases `name` (expired): its identity, and with it its history, is never reused. */
  delete(name: string): void {
    this.sDelete.run(name);
  }

  /** Persists a later last_seen (flushed from memory on a timer). */
  touch(name: string, lastSeen: number): void {
    this.sTouch.run(lastSeen, name);
  }

  /**
   * Renames an instance row, recording when (once-per-hour rule); unread mail waiting for the new name becomes its.
   * The identity's history keeps the old name's messages up to now, and continues under the new one.
   */
  rename(oldName: string, newName: string, now: number): void {
    this.sRename.run(oldName, newName, now);
    const held = this.sIdentity.get(newName);
    if (held === null) return;
    this.sLetGo.run(held.identity, oldName);
    this.sHold.run(held.identity, newName);
    this.sClaimFuture.run(held.identity, newName);
  }

  forwards(): ForwardRow[] {
    return this.sForwards.all();
  }

  /** Makes `oldName` forward to `newName` until `expiresAt`; forwardings to `oldName` follow it. */
  setForward(oldName: string, newName: string, expiresAt: number): void {
    this.sRetarget.run(oldName, newName);
    this.sSetForward.run(oldName, newName, expiresAt);
  }

  deleteForward(oldName: string): void {
    this.sDeleteForward.run(oldName);
  }

  /** Deletes forwardings expired at `now`; returns how many. */
  expireForwards(now: number): number {
    return this.sExpireForwards.run(now).changes;
  }
}
