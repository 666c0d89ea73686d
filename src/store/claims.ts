/**
 * Prepared queries over `claims` (migration 6): file claims per project and
 * holder name, until `expires_at` (ms since the epoch). Whether a holder is
 * still live is the broker's business (src/broker/ops/claims.ts).
 */
import type { Database, Statement } from "bun:sqlite";

/** A stored claim. Times in ms since the epoch. */
export interface ClaimRow {
  project: string;
  path: string;
  holder: string;
  shared: number;
  reason: string | null;
  created_at: number;
  expires_at: number;
}

const COLUMNS = "project, path, holder, shared, reason, created_at, expires_at";

export class ClaimStore {
  private readonly sOfProject: Statement<ClaimRow>;
  private readonly sAll: Statement<ClaimRow>;
  private readonly sUpsert: Statement;
  private readonly sRelease: Statement;
  private readonly sReleaseAll: Statement;
  private readonly sExpire: Statement;
  private readonly sRename: Statement;
  private readonly sCountOf: Statement<{ n: number }>;

  constructor(db: Database) {
    this.sOfProject = db.prepare(`SELECT ${COLUMNS} FROM claims WHERE project = ? AND expires_at > ? ORDER BY path, holder`);
    this.sAll = db.prepare(`SELECT ${COLUMNS} FROM claims WHERE expires_at > ? ORDER BY project, path, holder LIMIT 1000`);
    this.sUpsert = db.prepare(
      `INSERT INTO claims (${COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
       ON CONFLICT (project, path, holder) DO UPDATE SET shared = excluded.shared, reason = excluded.reason, expires_at = excluded.expires_at`,
    );
    this.sRelease = db.prepare("DELETE FROM claims WHERE project = ? AND path = ? AND holder = ?");
    this.sReleaseAll = db.prepare("DELETE FROM claims WHERE project = ? AND holder = ?");
    this.sExpire = db.prepare("DELETE FROM claims WHERE expires_at <= ?");
    this.sRename = db.prepare("UPDATE OR REPLACE claims SET holder = ?2 WHERE holder = ?1");
    this.sCountOf = db.prepare("SELECT count(*) AS n FROM claims WHERE project = ? AND holder = ?");
  }

  /** Unexpired claims of `project` at `now`, by path. */
  ofProject(project: string, now: number): ClaimRow[] {
    return this.sOfProject.all(project, now);
  }

  /** Unexpired claims of every project at `now` (at most 1 000). */
  all(now: number): ClaimRow[] {
    return this.sAll.all(now);
  }

  /** Claims (or renews) one path. */
  upsert(row: ClaimRow): void {
    this.sUpsert.run(row.project, row.path, row.holder, row.shared, row.reason, row.created_at, row.expires_at);
  }

  /** Ends `holder`'s claims in `project` on `paths`, or all of them; how many ended. */
  release(project: string, holder: string, paths?: readonly string[]): number {
    if (paths === undefined) return this.sReleaseAll.run(project, holder).changes;
    let n = 0;
    for (const p of paths) n += this.sRelease.run(project, p, holder).changes;
    return n;
  }

  /** How many claims `holder` has in `project` (expired ones included). */
  countOf(project: string, holder: string): number {
    return this.sCountOf.get(project, holder)?.n ?? 0;
  }

  /** Deletes claims that expired by `now`. */
  expire(now: number): number {
    return this.sExpire.run(now).changes;
  }

  /** Claims follow a rename. */
  rename(from: string, to: string): void {
    this.sRename.run(from, to);
  }
}
