/**
 * Group commit: writes that arrive together share one SQLite transaction, and
 * nothing produced while it is open reaches a client before it has committed.
 *
 * The first write of an event-loop turn opens the transaction and schedules
 * its commit with `setImmediate`, so every frame read in that turn (from any
 * connection) joins it. A group of at least GROW_FROM writes that is still
 * growing waits for the next turn's frames too (see `turn`): small groups
 * cost more per write (the durable-ceiling loop, CPU per row: 3.2 µs at 256
 * rows per commit, 4.6 at 64, 6.0 at 32), so a group that fills while
 * clients keep sending is cheaper per write. Replies queued meanwhile are written
 * after COMMIT, one write per connection; if COMMIT fails, the transaction is
 * rolled back and every queued request gets an INTERNAL error instead.
 */
import type { Database, Statement } from "bun:sqlite";
import { isDiskFull } from "../../store/database.ts";
import { log } from "../log.ts";

/** Where queued output goes: one connection. */
export interface Outlet {
  /** Writes text now (after commit). */
  write(text: string): void;
  /** Tells the client its request failed because its write did not commit (`diskFull`: because the disk is full). */
  failCommit(requestKeys: unknown[], diskFull?: boolean): void;
}

interface Queued {
  text: string[];
  /** Characters in `text` (UTF-16 units: about the bytes of ASCII JSON). */
  chars: number;
  /** Request ids (or legacy markers) answered in `text`, for the failure path. */
  keys: unknown[];
}

/** Writes a group needs before its commit may wait a turn for more (smaller groups: one-at-a-time clients, whose latency it would cost). */
export const GROW_FROM = 16;
/** Writes after which a group commits at once. */
export const GROW_TO = 512;
/** Turns a group may wait for more writes (each is one poll of the sockets: a few µs). */
export const GROW_TURNS = 4;

export class GroupCommit {
  private open = false;
  private readonly queued = new Map<Outlet, Queued>();
  private hooks: Array<() => void> = [];
  /** Steps to run instead when the open transaction does not commit (see afterCommit). */
  private failHooks: Array<() => void> = [];
  private readonly sBegin: Statement;
  private readonly sCommit: Statement;
  private readonly sRollback: Statement;
  /** Transactions committed since start (for status and the bench). */
  commits = 0;
  /** Characters of replies waiting for the commit, all outlets together (they count against the output budget). */
  queuedChars = 0;
  /** Writes (begin calls) in the open transaction. */
  private writes = 0;
  /** Writes the open transaction had when it last waited a turn. */
  private writesSeen = 0;
  /** Turns the open transaction has waited for more writes. */
  private turnsWaited = 0;

  constructor(
    private readonly db: Database,
    /** Called after a failed commit so in-memory caches can reload from the database. */
    private readonly onRollback: () => void,
    /** Run before COMMIT: writes held back until then (MessageStore.drain); it may throw to fail the group. */
    private readonly beforeCommit: () => void = () => {},
  ) {
    this.sBegin = db.prepare("BEGIN");
    this.sCommit = db.prepare("COMMIT");
    this.sRollback = db.prepare("ROLLBACK");
  }

  /** True while a transaction is open: output must be queued. */
  get isOpen(): boolean {
    return this.open;
  }

  /**
   * Opens the shared transaction if none is open. Call before any write. If
   * SQLite rolled the open one back by itself (disk full, I/O error), what was
   * queued for it fails first, so later writes never commit on their own while
   * earlier ones are reported lost.
   */
  begin(): void {
    if (this.open) {
      this.writes++;
      if (this.db.inTransaction) return;
      this.abort("SQLite rolled the transaction back");
    }
    this.sBegin.run();
    this.open = true;
    this.writes = 1;
    this.writesSeen = 0;
    this.turnsWaited = 0;
    setImmediate(this.turn);
  }


  /**
   * Gives up the open transaction: rolls it back, drops its after-commit steps,
   * resynchronises the in-memory state and answers every queued request with
   * INTERNAL. Used when a write failed halfway (nothing of the group is kept).
   */
  abort(why: string): void {
    if (!this.open) return;
    this.open = false;
    log.error(`transaction abandoned (${why}); every request in it is answered INTERNAL`);
    try {
      if (this.db.inTransaction) this.sRollback.run();
    } catch {
      // Already rolled back.
    }
    this.hooks = [];
    this.onRollback();
    this.runFailHooks();
    const queued = [...this.queued];
    this.queued.clear();
    this.queuedChars = 0;
    const diskFull = why === "the disk is full";
    for (const [outlet, q] of queued) outlet.failCommit(q.keys, diskFull);
  }

  private runFailHooks(): void {
    const fail = this.failHooks;
    this.failHooks = [];
    for (const h of fail) {
      try {
        h();
      } catch (err) {
        log.error(`after-failure step failed: ${(err as Error).message}`);
      }
    }
  }

  /** Characters of replies waiting for the commit for `outlet`. */
  queuedFor(outlet: Outlet): number {
    return this.queued.get(outlet)?.chars ?? 0;
  }

  /** Drops what waits for `outlet` (its connection closed: nobody will read it). */
  forget(outlet: Outlet): void {
    const q = this.queued.get(outlet);
    if (q === undefined) return;
    this.queuedChars -= q.chars;
    this.queued.delete(outlet);
  }

  /**
   * Runs `fn` after the current transaction commits (immediately when none is open);
   * `failed`, if given, runs instead when it is rolled back (a request that answers later itself).
   */
  afterCommit(fn: () => void, failed?: () => void): void {
    if (!this.open) return fn();
    this.hooks.push(fn);
    if (failed !== undefined) this.failHooks.push(failed);
  }

  /**
   * Sends `text` to `outlet` once the open transaction has committed, or now if none is open.
   * `key` identifies the request answered (for the failure path); undefined for pushes.
   */
  send(outlet: Outlet, text: string, key?: unknown): void {
    if (!this.open) {
      outlet.write(text);
      return;
    }
    let q = this.queued.get(outlet);
    if (q === undefined) {
      q = { text: [], chars: 0, keys: [] };
      this.queued.set(outlet, q);
    }
    q.text.push(text);
    q.chars += text.length;
    this.queuedChars += text.length;
    if (key !== undefined) q.keys.push(key);
  }

  /**
   * True when the open group should wait one more turn for writes: it has at
   * least GROW_FROM of them, fewer than GROW_TO, the last turn added some (the
   * clients are still sending), and it has waited fewer than GROW_TURNS turns.
   * A turn that adds nothing commits.
   */
  private waitsForMore(): boolean {
    if (this.writes < GROW_FROM || this.writes >= GROW_TO || this.writes === this.writesSeen || this.turnsWaited >= GROW_TURNS) return false;
    this.writesSeen = this.writes;
    this.turnsWaited++;
    return true;
  }

  /** The end of an event-loop turn with a group open: commits it, or lets a growing group wait one more turn. */
  private readonly turn = (): void => {
    if (!this.open) return;
    if (this.waitsForMore()) setImmediate(this.turn);
    else this.flush();
  };

  /** Runs beforeCommit; false when it failed (the group is then abandoned: abort). */
  private runBeforeCommit(): boolean {
    try {
      this.beforeCommit();
      return true;
    } catch (err) {
      this.abort(isDiskFull(err) ? "the disk is full" : `a write held back for the commit failed: ${(err as Error).message}`);
      return false;
    }
  }

  /** Commits now; safe to call when nothing is open. */
  readonly flush = (): void => {
    if (!this.open || !this.runBeforeCommit()) return;
    this.open = false;
    let committed = this.db.inTransaction;
    let diskFull = false;
    try {
      if (!committed) throw new Error("SQLite rolled the transaction back");
      this.sCommit.run();
      this.commits++;
    } catch (err) {
      committed = false;
      diskFull = isDiskFull(err);
      log.error(diskFull ? "commit failed: disk full (SQLITE_FULL), rolling back" : `commit failed, rolling back: ${(err as Error).message}`);
      try {
        this.sRollback.run();
      } catch {
        // The failed COMMIT may already have rolled back.
      }
    }
    const hooks = this.hooks;
    this.hooks = [];
    if (committed) {
      this.failHooks = [];
      for (const h of hooks) {
        try {
          h();
        } catch (err) {
          log.error(`after-commit step failed: ${(err as Error).message}`);
        }
      }
    } else {
      this.onRollback();
      this.runFailHooks();
    }
    const queued = [...this.queued];
    this.queued.clear();
    this.queuedChars = 0;
    for (const [outlet, q] of queued) {
      if (committed) outlet.write(q.text.length === 1 ? q.text[0]! : q.text.join(""));
      else outlet.failCommit(q.keys, diskFull);
    }
  };
}
