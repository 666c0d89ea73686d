/**
 * Imports the mail of a claude-ipc-mcp database into an ipc store, so users
 * who switch lose nothing. The legacy database is opened read-only and never
 * changed. Its schema (from the Python broker's `_init_database`):
 *
 *   messages(id, from_id, to_id, content, timestamp TEXT -- local time, ISO
 *            8601 without zone, data TEXT -- JSON, read_flag INTEGER, …)
 *   instances(instance_id, last_seen)
 *
 * Older versions lack some columns; only id, from_id, to_id and content are
 * required. Every row is validated (valibot) before it is used: the file is
 * input, not trusted, and a row that fails is skipped and reported. Each
 * imported row's fingerprint (SHA-256 of its id, names, time and content) is
 * recorded in `legacy_imports`, so importing the same data again (from the
 * same file, a copy, or a link) adds nothing twice.
 */
import { Database } from "bun:sqlite";
import { existsSync, realpathSync, statSync } from "node:fs";
import * as v from "valibot";
import { IpcError } from "../protocol/errors.ts";
import { MAX_DATA_DEPTH, nestsWithin } from "../protocol/message.ts";
import { normalizeName } from "../protocol/names.ts";
import { InstanceStore } from "./instances.ts";
import { MessageStore } from "./messages.ts";

/**
 * The default places of the legacy database that exist and are safe to read
 * without being asked: its README's `~/.claude-ipc-data/messages.db`, then its
 * TROUBLESHOOTING guide's `/tmp/ipc-messages.db`, the latter only when this
 * user owns it and nobody else may write it (anyone can create files in /tmp).
 */
export function defaultLegacyDatabase(home: string): string | undefined {
  const own = `${home}/.claude-ipc-data/messages.db`;
  if (existsSync(own)) return own;
  const shared = "/tmp/ipc-messages.db";
  try {
    const st = statSync(shared);
    const mine = process.getuid === undefined || st.uid === process.getuid();
    return st.isFile() && mine && (st.mode & 0o022) === 0 ? shared : undefined;
  } catch {
    return undefined;
  }
}

/** One legacy `messages` row, as validated. */
const LegacyRow = v.object({
  id: v.pipe(v.number(), v.integer()),
  from_id: v.string(),
  to_id: v.string(),
  content: v.string(),
  timestamp: v.nullable(v.string()),
  data: v.nullable(v.string()),
  read_flag: v.nullable(v.number()),
});
type LegacyRow = v.InferOutput<typeof LegacyRow>;

/** What an import did (or, with `dryRun`, would do). */
export const LegacyImportReport = v.object({
  /** The legacy database (its real path). */
  source: v.string(),
  /** Unread legacy messages imported as unread. */
  unread: v.number(),
  /** Read legacy messages imported as read history (only with `all`). */
  read: v.number(),
  /** Read legacy messages left out (without `all`). */
  read_left_out: v.number(),
  /** Rows an earlier import already brought in. */
  already_imported: v.number(),
  /** Rows that could not be imported, with the reason (`legacy_id` null when the row has no usable id). */
  skipped: v.array(v.object({ legacy_id: v.nullable(v.number()), reason: v.string() })),
  /** Names registered so their mail is kept (legacy instances and recipients), sorted. */
  names: v.array(v.string()),
  dry_run: v.boolean(),
});
export type LegacyImportReport = v.InferOutput<typeof LegacyImportReport>;

/** How to import. */
export interface LegacyImportOptions {
  /** Also import read messages, as read history. */
  all: boolean;
  /** Work out the report without writing anything. */
  dryRun: boolean;
  /** Largest content kept (bytes of UTF-8); longer messages are skipped and reported. */
  maxContentBytes: number;
  /** ms since the epoch: registration time, read time of imported history, and the time of rows without a readable one. */
  now: number;
}

/**
 * Reads the legacy database at `path` (read-only) and imports it into `db`
 * (an open, migrated ipc database that no broker is using). One transaction:
 * all or nothing. With `dryRun`, `db` is only read (see previewLegacy).
 * @throws IpcError NOT_FOUND when `path` is missing or not a claude-ipc-mcp database.
 */
export function importLegacy(db: Database, path: string, opts: LegacyImportOptions): LegacyImportReport {
  if (!existsSync(path)) throw new IpcError("NOT_FOUND", `no file at ${path}; give the path of the claude-ipc-mcp messages.db`);
  const source = realpathSync(path);
  const legacy = readLegacy(source, opts.all);
  const recorded = db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'legacy_imports'").get() !== null;
  const seen = recorded ? db.prepare("SELECT 1 FROM legacy_imports WHERE fingerprint = ?") : null;
  const report: LegacyImportReport = {
    source,
    unread: 0,
    read: 0,
    read_left_out: legacy.readLeftOut,
    already_imported: 0,
    skipped: legacy.invalid,
    names: [],
    dry_run: opts.dryRun,
  };
  const names = new Set<string>();
  for (const raw of legacy.instances) {
    const name = normalizeName(raw);
    if (name !== null) names.add(name);
  }
  const plan: { row: LegacyRow; fingerprint: string; recipient: string; read: boolean }[] = [];
  for (const row of legacy.rows) {
    const fingerprint = fingerprintOf(row);
    if (seen?.get(fingerprint)) {
      report.already_imported++;
      continue;
    }
    const recipient = normalizeName(row.to_id);
    if (recipient === null) {
      report.skipped.push({ legacy_id: row.id, reason: `recipient ${JSON.stringify(row.to_id)} is not a valid ipc name` });
      continue;
    }
    const bytes = Buffer.byteLength(row.content, "utf8");
    if (bytes > opts.maxContentBytes) {
      report.skipped.push({ legacy_id: row.id, reason: `content is ${bytes} bytes, over the ${opts.maxContentBytes}-byte limit` });
      continue;
    }
    const read = (row.read_flag ?? 0) !== 0;
    plan.push({ row, fingerprint, recipient, read });
    names.add(recipient);
    if (read) report.read++;
    else report.unread++;
  }
  report.skipped.sort((a, b) => (a.legacy_id ?? -1) - (b.legacy_id ?? -1));
  report.names = [...names].sort();
  if (opts.dryRun) return report;

  const messages = new MessageStore(db);
  const record = db.prepare("INSERT INTO legacy_imports (fingerprint, message_id) VALUES (?, ?)");
  // An imported name was last seen when its mail was: never "now", so nobody shows as online for being imported.
  const lastMail = new Map<string, number>();
  for (const p of plan) {
    const at = Math.min(legacyTime(p.row.timestamp) ?? 0, opts.now);
    for (const name of [p.recipient, normalizeName(p.row.from_id)]) {
      if (name !== null) lastMail.set(name, Math.max(lastMail.get(name) ?? 0, at));
    }
  }
  const registry = new InstanceStore(db);
  const known = db.prepare("SELECT 1 AS one FROM instances WHERE name = ?");
  const lastSeen = db.prepare("UPDATE instances SET last_seen = ?2 WHERE name = ?1");
  db.transaction(() => {
    for (const name of report.names) {
      if (known.get(name) !== null) continue;
      registry.upsert(name, opts.now); // a new identity (history by identity)
      lastSeen.run(name, lastMail.get(name) ?? 0);
    }
    for (const p of plan) {
      const id = messages.insert({
        sender: legacySender(p.row.from_id),
        recipient: p.recipient,
        kind: "direct",
        content: p.row.content,
        data: legacyData(p.row.data),
        reply_to: null,
        created_at: legacyTime(p.row.timestamp) ?? opts.now,
        // Read now, not then: read history is kept IPC_RETAIN_READ_DAYS from its import.
        read_at: p.read ? opts.now : null,
      });
      record.run(p.fingerprint, id);
    }
  })();
  return report;
}

/**
 * importLegacy with `dryRun`, against the ipc database at `ipcDatabase` opened
 * read-only (or an empty one when there is none yet): writes nothing anywhere,
 * so it is safe while a broker runs.
 */
export function previewLegacy(ipcDatabase: string, path: string, opts: Omit<LegacyImportOptions, "dryRun">): LegacyImportReport {
  const db = existsSync(ipcDatabase) ? new Database(ipcDatabase, { readonly: true }) : new Database(":memory:");
  try {
    db.exec("PRAGMA busy_timeout = 2000");
    return importLegacy(db, path, { ...opts, dryRun: true });
  } finally {
    db.close();
  }
}

/** What the legacy file holds: valid rows (unread, plus read with `all`, oldest first), invalid ones, instance names. */
function readLegacy(
  path: string,
  all: boolean,
): { rows: LegacyRow[]; invalid: LegacyImportReport["skipped"]; readLeftOut: number; instances: string[] } {
  let legacy: Database;
  try {
    legacy = new Database(path, { readonly: true, strict: true });
  } catch (err) {
    throw new IpcError("NOT_FOUND", `cannot open ${path} (${(err as Error).message}); give the path of the claude-ipc-mcp messages.db`);
  }
  try {
    legacy.exec("PRAGMA busy_timeout = 5000");
    const columns = new Set(
      (legacy.query("SELECT name FROM pragma_table_info('messages')").all() as { name: string }[]).map((c) => c.name),
    );
    const missing = ["id", "from_id", "to_id", "content"].filter((c) => !columns.has(c));
    if (missing.length > 0) {
      throw new IpcError(
        "NOT_FOUND",
        `${path} is not a claude-ipc-mcp database (its messages table ${columns.size === 0 ? "is missing" : `lacks ${missing.join(", ")}`})`,
      );
    }
    const opt = (c: string) => (columns.has(c) ? c : `NULL AS ${c}`);
    const isRead = columns.has("read_flag") ? "coalesce(read_flag, 0) != 0" : "0";
    const raw = legacy
      .query(
        `SELECT id, from_id, to_id, content, ${opt("timestamp")}, ${opt("data")}, ${opt("read_flag")} FROM messages
         ${all ? "" : `WHERE NOT (${isRead})`} ORDER BY id`,
      )
      .all() as Record<string, unknown>[];
    const readLeftOut = all ? 0 : (legacy.query(`SELECT count(*) AS n FROM messages WHERE ${isRead}`).get() as { n: number }).n;
    const rows: LegacyRow[] = [];
    const invalid: LegacyImportReport["skipped"] = [];
    for (const r of raw) {
      const parsed = v.safeParse(LegacyRow, r);
      if (parsed.success) rows.push(parsed.output);
      else {
        const issue = parsed.issues[0];
        const field = issue.path?.map((p) => String(p.key)).join(".") ?? "row";
        invalid.push({
          legacy_id: Number.isInteger(r.id) ? (r.id as number) : null,
          reason: `${field} is ${r[field] === null ? "NULL" : `not valid (${issue.message})`}`,
        });
      }
    }
    const hasInstances = legacy.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'instances'").get() !== null;
    const instances = hasInstances
      ? (legacy.query("SELECT instance_id FROM instances").all() as { instance_id: unknown }[])
          .map((r) => r.instance_id)
          .filter((n): n is string => typeof n === "string")
      : [];
    return { rows, invalid, readLeftOut, instances };
  } catch (err) {
    if (err instanceof IpcError) throw err;
    throw new IpcError("NOT_FOUND", `cannot read ${path} as a claude-ipc-mcp database: ${(err as Error).message}`);
  } finally {
    legacy.close();
  }
}

/** Identifies a legacy row wherever its file was copied or moved: hex SHA-256 of its id, names, time and content. */
function fingerprintOf(row: LegacyRow): string {
  const h = new Bun.CryptoHasher("sha256");
  h.update(JSON.stringify([row.id, row.from_id, row.to_id, row.timestamp, row.content]));
  return h.digest("hex");
}

/**
 * The sender as an ipc name. Names ipc would refuse (reserved ones such as
 * `system`, or odd characters) become `legacy-…`, so an imported message can
 * never pass for a broker notice.
 */
function legacySender(from: string): string {
  const name = normalizeName(from);
  if (name !== null) return name;
  const cleaned = from.toLowerCase().replace(/[^a-z0-9_-]/g, "_").slice(0, 25);
  return `legacy-${cleaned || "unknown"}`;
}

/** A legacy timestamp (local time, as the Python broker wrote it) in ms, or null when unreadable. */
function legacyTime(text: string | null): number | null {
  if (text === null) return null;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : null;
}

/** Legacy `data` as ipc's JSON-object text: an object is kept, anything else is wrapped. */
function legacyData(text: string | null): string | null {
  if (text === null || text === "" || text === "null") return null;
  try {
    const value: unknown = JSON.parse(text);
    if (!nestsWithin(value, MAX_DATA_DEPTH - 1)) return JSON.stringify({ legacy_data: text });
    if (value !== null && typeof value === "object" && !Array.isArray(value)) return text;
    return JSON.stringify({ legacy_data: value });
  } catch {
    return JSON.stringify({ legacy_data: text });
  }
}
