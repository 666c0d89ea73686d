/**
 * Prepared queries over `sessions`. Only the SHA-256 of a token is stored;
 * `last_used` slides (flushed from memory on a timer, not per request).
 */
import type { Database, Statement } from "bun:sqlite";

/** A stored session. Times in ms since the epoch. */
export interface SessionRow {
  token_hash: string;
  name: string;
  created_at: number;
  last_used: number;
  /** The joined machine whose connection registered it (src/remote/), or null for local clients. */
  machine: string | null;
}

export class SessionStore {
  private readonly sInsert: Statement;
  private readonly sGet: Statement<SessionRow>;
  private readonly sTouch: Statement;
  private readonly sDelete: Statement;
  private readonly sRename: Statement;
  private readonly sExpire: Statement;
  private readonly sCount: Statement<{ n: number }>;
  private readonly sDeleteMachine: Statement;
  private readonly sHasName: Statement<{ one: number }>;

  constructor(db: Database) {
    this.sInsert = db.prepare("INSERT INTO sessions (token_hash, name, created_at, last_used, machine) VALUES (?1, ?2, ?3, ?3, ?4)");
    this.sGet = db.prepare("SELECT token_hash, name, created_at, last_used, machine FROM sessions WHERE token_hash = ?");
    this.sDeleteMachine = db.prepare("DELETE FROM sessions WHERE machine = ?");
    this.sTouch = db.prepare("UPDATE sessions SET last_used = ? WHERE token_hash = ?");
    this.sDelete = db.prepare("DELETE FROM sessions WHERE token_hash = ?");
    this.sRename = db.prepare("UPDATE sessions SET name = ? WHERE name = ?");
    this.sExpire = db.prepare("DELETE FROM sessions WHERE last_used < ?");
    this.sCount = db.prepare("SELECT count(*) AS n FROM sessions");
    this.sHasName = db.prepare("SELECT 1 AS one FROM sessions WHERE name = ? LIMIT 1");
  }

  insert(tokenHash: string, name: string, now: number, machine: string | null = null): void {
    this.sInsert.run(tokenHash, name, now, machine);
  }

  /** Deletes every session a machine registered (revoke); returns how many. */
  deleteMachine(machine: string): number {
    return this.sDeleteMachine.run(machine).changes;
  }

  get(tokenHash: string): SessionRow | null {
    return this.sGet.get(tokenHash);
  }

  touch(tokenHash: string, lastUsed: number): void {
    this.sTouch.run(lastUsed, tokenHash);
  }

  delete(tokenHash: string): void {
    this.sDelete.run(tokenHash);
  }

  /** Moves every session of `oldName` to `newName` (rename). */
  rename(oldName: string, newName: string): void {
    this.sRename.run(newName, oldName);
  }

  /** Deletes sessions unused since before `cutoff`; returns how many. */
  expire(cutoff: number): number {
    return this.sExpire.run(cutoff).changes;
  }

  /** True when `name` has a stored session (expired or not: the sweeper removes expired ones first). */
  hasName(name: string): boolean {
    return this.sHasName.get(name) !== null;
  }

  count(): number {
    return this.sCount.get()!.n;
  }
}
