/**
 * Prepared queries over `machines` and `invites` (src/remote/): joined
 * machines by name with their public keys, and one-time pairing codes stored
 * as SHA-256 hashes; which machine an identity belongs to (identities.machine).
 * Times in ms since the epoch.
 */
import type { Database, Statement } from "bun:sqlite";

/** A joined machine. */
export interface MachineRow {
  name: string;
  public_key: string;
  created_at: number;
  last_seen: number | null;
  last_address: string | null;
  revoked_at: number | null;
}

/** A pairing code. */
export interface InviteRow {
  code_hash: string;
  machine: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export class MachineStore {
  private readonly sAll: Statement<MachineRow>;
  private readonly sGet: Statement<MachineRow>;
  private readonly sInsert: Statement;
  private readonly sSeen: Statement;
  private readonly sRevoke: Statement;
  private readonly sInvite: Statement;
  private readonly sGetInvite: Statement<InviteRow>;
  private readonly sUseInvite: Statement;
  private readonly sExpireInvites: Statement;
  private readonly sOrigin: Statement<{ machine: string | null }>;
  private readonly sSetOrigin: Statement;

  constructor(db: Database) {
    const cols = "name, public_key, created_at, last_seen, last_address, revoked_at";
    this.sAll = db.prepare(`SELECT ${cols} FROM machines ORDER BY name`);
    this.sGet = db.prepare(`SELECT ${cols} FROM machines WHERE name = ?`);
    this.sInsert = db.prepare("INSERT OR REPLACE INTO machines (name, public_key, created_at) VALUES (?, ?, ?)");
    this.sSeen = db.prepare("UPDATE machines SET last_seen = ?, last_address = ? WHERE name = ?");
    this.sRevoke = db.prepare("UPDATE machines SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL");
    this.sInvite = db.prepare("INSERT INTO invites (code_hash, machine, created_at, expires_at) VALUES (?, ?, ?, ?)");
    this.sGetInvite = db.prepare("SELECT code_hash, machine, created_at, expires_at, used_at FROM invites WHERE code_hash = ?");
    this.sUseInvite = db.prepare("UPDATE invites SET used_at = ? WHERE code_hash = ? AND used_at IS NULL");
    this.sExpireInvites = db.prepare("DELETE FROM invites WHERE expires_at < ?");
    this.sOrigin = db.prepare("SELECT machine FROM identities WHERE id = ?");
    this.sSetOrigin = db.prepare("UPDATE identities SET machine = ?2 WHERE id = ?1");
  }

  /** The joined machine that registered identity `identity` (or was given it), or null for the broker's own machine. */
  originOf(identity: number): string | null {
    return this.sOrigin.get(identity)?.machine ?? null;
  }

  /** Makes `machine` (null: the broker's own machine) the origin of identity `identity`. */
  setOrigin(identity: number, machine: string | null): void {
    this.sSetOrigin.run(identity, machine);
  }

  all(): MachineRow[] {
    return this.sAll.all();
  }

  get(name: string): MachineRow | null {
    return this.sGet.get(name);
  }

  /** Adds (or, for a revoked name joining again, replaces) a machine. */
  add(name: string, publicKey: string, now: number): void {
    this.sInsert.run(name, publicKey, now);
  }

  seen(name: string, now: number, address: string): void {
    this.sSeen.run(now, address, name);
  }

  /** Marks a machine revoked; false when it was unknown or already revoked. */
  revoke(name: string, now: number): boolean {
    return this.sRevoke.run(now, name).changes > 0;
  }

  addInvite(codeHash: string, machine: string | null, now: number, expiresAt: number): void {
    this.sInvite.run(codeHash, machine, now, expiresAt);
  }

  invite(codeHash: string): InviteRow | null {
    return this.sGetInvite.get(codeHash);
  }

  /** Spends an invite; false when it was already used. */
  useInvite(codeHash: string, now: number): boolean {
    return this.sUseInvite.run(now, codeHash).changes > 0;
  }

  /** Forgets invites that expired before `cutoff`. */
  expireInvites(cutoff: number): number {
    return this.sExpireInvites.run(cutoff).changes;
  }
}
