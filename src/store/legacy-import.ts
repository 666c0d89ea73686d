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
 * input, not trusted. Which legacy rows were imported is recorded in
 * `legacy_imports`, so running the import again adds nothing twice.
 */
import { Database } from "bun:sqlite";
import { existsSync, realpathSync } from "node:fs";
import * as v from "valibot";
import { normalizeName, SYSTEM_SENDER } from "../protocol/names.ts";
import { IpcError } from "../protocol/errors.ts";
import { InstanceStore } from "./instances.ts";
import { MessageStore } from "./messages.ts";

/** The default locations of the legacy database (its README, then its TROUBLESHOOTING guide). */
export function legacyDatabaseCandidates(home: string): string[] {
  return [`${home}/.claude-ipc-data/messages.db`, "/tmp/ipc-messages.db"];
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
  /** The legacy database (its real path: the key that makes a second import add nothing). */
  source: v.string(),
  /** Unread legacy messages imported as unread. */
  unread: v.number(),
  /** Read legacy messages imported as read history (only with `all`). */
  read: v.number(),
  /** Read legacy messages left out (without `all`). */
  read_left_out: v.number(),
  /** Rows an earlier import already brought in. */
  already_imported: v.number(),
  /** Rows that could not be imported, with the reason. */
  skipped: v.array(v.object({ legacy_id: v.number(), reason: v.string() })),
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
  /** ms since the epoch; used for rows without a readable timestamp and as registration time. */
  now: number;
}

/**
 * Reads the legacy database at `path` (read-only) and imports it into `db`
 * (an open, migrated ipc database that no broker is using). One transaction:
 * all or nothing. With `dryRun`, `db` is only read (it may be read-only, and
 * of an older schema).
 * @throws IpcError NOT_FOUND when `path` is not a claude-ipc-mcp database.
 */
export function importLegacy(db: Database, path: string, opts: LegacyImportOptions): LegacyImportReport {
  if (!existsSync(path)) throw new IpcError("NOT_FOUND", `no file at ${path}; give the path of the claude-ipc-mcp messages.db`);
  const source = realpathSync(path);
  const { rows, instances } = readLegacy(source);
  const recorded = db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'legacy_imports'").get() !== null;
  const done = new Set(
    recorded
      ? (db.query("SELECT legacy_id FROM legacy_imports WHERE source = ?").all(source) as { legacy_id: number }[]).map((r) => r.legacy_id)
      : [],
  );
  const report: LegacyImportReport = {
    source,
    unread: 0,
    read: 0,
    read_left_out: 0,
    already_imported: 0,
    skipped: [],
    names: [],
    dry_run: opts.dryRun,
  };
  const names = new Set<string>();
  for (const raw of instances) {
    const name = normalizeName(raw);
    if (name !== null) names.add(name);
  }
  const plan: { row: LegacyRow; recipient: string; sender: string; read: boolean; data: string | null }[] = [];
  for (const row of rows) {
    if (done.has(row.id)) {
      report.already_imported++;
      continue;
    }
    const read = (row.read_flag ?? 0) !== 0;
    if (read && !opts.all) {
      report.read_left_out++;
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
    const sender = row.from_id.toLowerCase().slice(0, 64) || "unknown";
    plan.push({ row, recipient, sender, read, data: legacyData(row.data) });
    names.add(recipient);
    if (read) report.read++;
    else report.unread++;
  }
  report.names = [...names].sort();
  if (opts.dryRun) return report;

  const messages = new MessageStore(db);
  const registry = new InstanceStore(db);
  const record = db.prepare("INSERT INTO legacy_imports (source, legacy_id, message_id) VALUES (?, ?, ?)");
  db.transaction(() => {
    for (const name of report.names) registry.upsert(name, opts.now);
    for (const p of plan) {
      const created = legacyTime(p.row.timestamp) ?? opts.now;
      const id = messages.insert({
        sender: p.sender,
        recipient: p.recipient,
        kind: p.sender === SYSTEM_SENDER ? "system" : "direct",
        content: p.row.content,
        data: p.data,
        reply_to: null,
        created_at: created,
        read_at: p.read ? created : null,
      });
      record.run(source, p.row.id, id);
    }
  })();
  return report;
}

/** The legacy rows (oldest first) and registered instance names. */
function readLegacy(path: string): { rows: LegacyRow[]; instances: string[] } {
  let legacy: Database;
  try {
    legacy = new Database(path, { readonly: true, strict: true });
  } catch (err) {
    throw new IpcError("NOT_FOUND", `cannot open ${path} (${(err as Error).message}); give the path of the claude-ipc-mcp messages.db`);
  }
  try {
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
    const raw = legacy
      .query(`SELECT id, from_id, to_id, content, ${opt("timestamp")}, ${opt("data")}, ${opt("read_flag")} FROM messages ORDER BY id`)
      .all();
    const rows = raw.map((r, i) => {
      const parsed = v.safeParse(LegacyRow, r);
      if (!parsed.success) {
        throw new IpcError("BAD_REQUEST", `${path}: messages row ${i + 1} is malformed (${parsed.issues[0].message}); nothing was imported`);
      }
      return parsed.output;
    });
    const hasInstances = legacy.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'instances'").get() !== null;
    const instances = hasInstances
      ? (legacy.query("SELECT instance_id FROM instances").all() as { instance_id: unknown }[])
          .map((r) => r.instance_id)
          .filter((n): n is string => typeof n === "string")
      : [];
    return { rows, instances };
  } catch (err) {
    if (err instanceof IpcError) throw err;
    throw new IpcError("NOT_FOUND", `cannot read ${path} as a claude-ipc-mcp database: ${(err as Error).message}`);
  } finally {
    legacy.close();
  }
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
    if (value !== null && typeof value === "object" && !Array.isArray(value)) return text;
    return JSON.stringify({ legacy_data: value });
  } catch {
    return JSON.stringify({ legacy_data: text });
  }
}
