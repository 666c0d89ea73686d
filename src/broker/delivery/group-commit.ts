/**
 * Group commit: writes that arrive together share one SQLite transaction, and
 * nothing produced while it is open reaches a client before it has committed.
 *
 * The first write of an event-loop turn opens the transaction and schedules
 * its commit with `setImmediate`, so every frame read in that turn (from any
 * connection) joins it. Replies queued meanwhile are written after COMMIT,
 * one write per connection; if COMMIT fails, the transaction is rolled back
 * and every queued request gets an INTERNAL error instead.
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

  constructor(
    private readonly db: Database,
    /** Called after a failed commit so in-memory caches can reload from the database. */
    private readonly onRollback: () => void,
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
      if (this.db.inTransaction) return;
      this.abort("SQLite rolled the transaction back");
    }
    this.sBegin.run();
    this.open = true;
    setImmediate(this.flush);
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

  /** Commits now (also called by `setImmediate`); safe to call when nothing is open. */
  readonly flush = (): void => {
    if (!this.open) return;
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
