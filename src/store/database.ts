/**
 * Opens the broker's SQLite database (bun:sqlite): private file modes, WAL,
 * synchronous=NORMAL, forward migrations through `PRAGMA user_version`.
 */
import { Database } from "bun:sqlite";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { IpcError } from "../protocol/errors.ts";
import { MIGRATIONS } from "./migrations.ts";

/** Page size of new databases (bytes). */
export const PAGE_SIZE = 1024;

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Opens (creating if absent, mode 0600 in a 0700 directory) and migrates the
 * database at `path`, or ":memory:" for tests. `synchronous` NORMAL (WAL) keeps
 * every commit across a process crash; FULL also across an OS crash or power loss.
 * @throws IpcError INTERNAL naming the file and the fix when it is corrupt,
 *   unreadable, locked, or from a newer ipc.
 */
export function openDatabase(path: string, synchronous: "normal" | "full" = "normal"): Database {
  if (path !== ":memory:") {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    closeSync(openSync(path, "a", 0o600));
  }
  let db: Database | undefined;
  try {
    db = new Database(path, { create: true, strict: true });
    db.exec("PRAGMA busy_timeout = 5000");
    // Small pages: a send dirties a few pages, and each is a WAL frame written at commit.
    // (Takes effect only when the database is created.)
    db.exec(`PRAGMA page_size = ${PAGE_SIZE}`);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec(`PRAGMA synchronous = ${synchronous === "full" ? "FULL" : "NORMAL"}`);
    db.exec("PRAGMA foreign_keys = OFF");
    migrate(db, path);
    return db;
  } catch (err) {
    db?.close();
    if (err instanceof IpcError) throw err;
    throw new IpcError("INTERNAL", describeOpenFailure(path, err as Error));
  }
}

function migrate(db: Database, path: string): void {
  const row = db.query("PRAGMA user_version").get() as { user_version: number };
  const version = row.user_version;
  if (version > SCHEMA_VERSION) {
    throw new IpcError(
      "INTERNAL",
      `database ${path} has schema version ${version}, newer than this ipc understands (${SCHEMA_VERSION}): upgrade ipc, or point IPC_HOME elsewhere`,
    );
  }
  for (let v = version; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.exec(`PRAGMA user_version = ${v + 1}`);
    })();
  }
}

/** True when `err` is SQLite saying the file is damaged or not a database (SQLITE_CORRUPT, SQLITE_NOTADB). */
export function isCorruption(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (typeof e?.code === "string" && /^SQLITE_(CORRUPT|NOTADB)/.test(e.code)) return true;
  return typeof e?.message === "string" && /not a database|malformed|corrupt/i.test(e.message);
}

/** True when `err` is SQLite saying the disk (or the database's page limit) is full (SQLITE_FULL). */
export function isDiskFull(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (typeof e?.code === "string" && /^SQLITE_FULL/.test(e.code)) return true;
  return typeof e?.message === "string" && /database or disk is full/i.test(e.message);
}

/** What to tell a client whose write found the disk of the database at `path` full: say so, and what to do. */
export function diskFullMessage(path: string): string {
  return `disk full: the broker could not write to ${path} (SQLITE_FULL); nothing of this request was stored. Free space on that disk, then retry`;
}

/** What to tell the person when the database at `path` is damaged: the file, the cause and the fix. */
export function corruptionMessage(path: string, err: Error): string {
  return `database ${path} is corrupt or not an ipc database (${err.message}). Run \`ipc doctor\` to check it; to recover, stop the broker (ipc stop), move the file aside (mv "${path}" "${path}.broken"), and start again to create a fresh one; nothing is deleted for you.`;
}

/** The IpcError for an error raised while using the database at `path`: corruption named as such, else `err` itself. */
export function databaseError(path: string, err: unknown): unknown {
  return err instanceof IpcError || !isCorruption(err) ? err : new IpcError("INTERNAL", corruptionMessage(path, err as Error));
}

function describeOpenFailure(path: string, err: Error): string {
  const msg = err.message;
  if (isCorruption(err)) return corruptionMessage(path, err);
  if (/locked|busy/i.test(msg)) {
    return `database ${path} is locked by another process (${msg}). Is another broker using this IPC_HOME? Check with \`ipc status\`.`;
  }
  if (/readonly|permission|access|unable to open/i.test(msg)) {
    return `cannot open database ${path} (${msg}). Check that its directory exists and that you own the file (chmod 600 "${path}").`;
  }
  return `cannot open database ${path}: ${msg}`;
}
