/**
 * Session tokens: issued by `register`, looked up by the SHA-256 of the token
 * (cached in memory after the first lookup), with a sliding expiry. A
 * session's `name` is mutable so a rename moves every live connection at once.
 * Rate buckets belong to names, not sessions: registering again (a new
 * session) does not buy a fresh allowance.
 */
import { hashToken, newToken } from "../../protocol/auth.ts";
import type { Seat } from "../../protocol/requests.ts";
import type { SessionStore } from "../../store/sessions.ts";
import { RateBucket } from "./rate-limit.ts";

/** A live session. Times in ms. */
export interface Session {
  readonly hash: string;
  name: string;
  lastUsed: number;
  flushedLastUsed: number;
  /** The joined machine that registered it (src/remote/), or null for a local client. */
  readonly machine: string | null;
  /** Who holds it (memory only: unknown after a broker restart until its holder authenticates again). */
  seat: Seat | null;
  /** When `seat` took the name (ms). */
  since: number;
  /** Open connections bound to it. */
  bound: number;
}

export class Sessions {
  private readonly cache = new Map<string, Session>();
  private readonly buckets = new Map<string, RateBucket>();

  constructor(
    private readonly store: SessionStore,
    /** Idle time after which a session expires (ms). */
    private readonly ttlMs: number,
    private readonly newBucket: () => RateBucket,
  ) {}

  /** Issues a token for `name` (registered over `machine`'s connection, or locally); the caller must have opened a transaction. */
  create(name: string, now: number, machine: string | null = null): { token: string; session: Session } {
    const token = newToken();
    const hash = hashToken(token);
    this.store.insert(hash, name, now, machine);
    const session: Session = { hash, name, lastUsed: now, flushedLastUsed: now, machine, seat: null, since: now, bound: 0 };
    this.cache.set(hash, session);
    return { token, session };
  }

  /** The live session of `token` at `now`, or null when unknown or expired. Marks it used. */
  resolve(token: string, now: number): Session | null {
    const hash = hashToken(token);
    let s = this.cache.get(hash);
    if (s === undefined) {
      const row = this.store.get(hash);
      if (row === null) return null;
      s = { hash, name: row.name, lastUsed: row.last_used, flushedLastUsed: row.last_used, machine: row.machine, seat: null, since: row.created_at, bound: 0 };
      this.cache.set(hash, s);
    }
    if (this.expired(s, now)) {
      this.cache.delete(hash);
      return null;
    }
    s.lastUsed = now;
    return s;
  }

  /** Ends every session `machine` registered (revoke); the caller must have opened a transaction. */
  endMachine(machine: string): void {
    this.store.deleteMachine(machine);
    for (const [hash, s] of this.cache) if (s.machine === machine) this.cache.delete(hash);
  }

  /** The rate bucket of `name`, shared by all its sessions and its registrations. */
  bucketOf(name: string): RateBucket {
    let bucket = this.buckets.get(name);
    if (bucket === undefined) {
      bucket = this.newBucket();
      this.buckets.set(name, bucket);
    }
    return bucket;
  }

  /** True when `s` has not been used within the ttl. */
  expired(s: Session, now: number): boolean {
    return now - s.lastUsed > this.ttlMs;
  }

  /** The cached, unexpired sessions of `name` at `now` (a name has a handful: one per seat or CLI home). */
  of(name: string, now: number): Session[] {
    const found: Session[] = [];
    for (const s of this.cache.values()) if (s.name === name && !this.expired(s, now)) found.push(s);
    return found;
  }

  /** Names with at least one live session for which `held` is true (one pass over the sessions in memory). */
  heldNames(now: number, held: (s: Session) => boolean): Set<string> {
    const names = new Set<string>();
    for (const s of this.cache.values()) if (!names.has(s.name) && !this.expired(s, now) && held(s)) names.add(s.name);
    return names;
  }

  /** Ends session `s` (a takeover): forgotten in memory and deleted from the store; call inside a transaction. */
  revoke(s: Session): void {
    this.cache.delete(s.hash);
    this.store.delete(s.hash);
    s.lastUsed = Number.NEGATIVE_INFINITY;
  }

  /** Moves every cached session of `oldName` to `newName` (the store is updated by the caller). */
  rename(oldName: string, newName: string): void {
    for (const s of this.cache.values()) if (s.name === oldName) s.name = newName;
  }

  /** Writes changed last_used values; call inside a transaction. */
  flush(): void {
    for (const s of this.cache.values()) {
      if (s.lastUsed > s.flushedLastUsed) {
        this.store.touch(s.hash, s.lastUsed);
        s.flushedLastUsed = s.lastUsed;
      }
    }
  }

  /** Drops sessions idle past the ttl at `now`, from memory and store; call inside a transaction. */
  expire(now: number): number {
    for (const [hash, s] of this.cache) if (this.expired(s, now)) this.cache.delete(hash);
    const live = new Set([...this.cache.values()].map((s) => s.name));
    for (const name of this.buckets.keys()) if (!live.has(name)) this.buckets.delete(name);
    return this.store.expire(now - this.ttlMs);
  }

  /**
   * Re-reads every cached session from the store (after a rollback), updating
   * the same objects that live connections hold; sessions the store no longer
   * has are marked expired.
   */
  reload(): void {
    for (const [hash, s] of this.cache) {
      const row = this.store.get(hash);
      if (row === null) {
        s.lastUsed = Number.NEGATIVE_INFINITY;
        this.cache.delete(hash);
      } else {
        s.name = row.name;
        s.flushedLastUsed = row.last_used;
      }
    }
  }
}
