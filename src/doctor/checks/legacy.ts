/** Doctor: a claude-ipc-mcp database with unread mail that ipc has not imported yet. */
import { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import { paths } from "../../config.ts";
import { importLegacy, legacyDatabaseCandidates } from "../../store/legacy-import.ts";
import { type Check, q } from "../check.ts";

/** Looks at the legacy database's default places (read-only, like every doctor check); silent when there is none. */
export const legacyCheck: Check = ({ config, places }) => {
  const path = legacyDatabaseCandidates(places.home).find((p) => existsSync(p));
  if (path === undefined) return [];
  const ours = paths.database(config);
  let db: Database | undefined;
  try {
    db = existsSync(ours) ? new Database(ours, { readonly: true }) : new Database(":memory:");
    db.exec("PRAGMA busy_timeout = 2000");
    const r = importLegacy(db, path, { all: false, dryRun: true, maxContentBytes: config.limits.maxContentBytes, now: Date.now() });
    if (r.unread === 0) return [{ check: "legacy", status: "ok", message: `claude-ipc-mcp database ${path}: no unread mail left to import` }];
    return [{
      check: "legacy",
      status: "warn",
      message: `claude-ipc-mcp database ${path} holds ${r.unread} unread message(s) not yet in ipc`,
      fix: `ipc stop; ipc import-legacy ${q(path)}`,
    }];
  } catch (err) {
    return [{ check: "legacy", status: "warn", message: `${path} looks like a claude-ipc-mcp database but cannot be read: ${(err as Error).message}` }];
  } finally {
    db?.close();
  }
};
