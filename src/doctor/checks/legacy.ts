/** Doctor: a claude-ipc-mcp database with unread mail that ipc has not imported yet. */
import { paths } from "../../config.ts";
import { defaultLegacyDatabase, previewLegacy } from "../../store/legacy-import.ts";
import { type Check, q } from "../check.ts";

/** Looks at the legacy database's default places (read-only, like every doctor check); silent when there is none. */
export const legacyCheck: Check = ({ config, places }) => {
  const path = defaultLegacyDatabase(places.home);
  if (path === undefined) return [];
  try {
    const r = previewLegacy(paths.database(config), path, { all: false, maxContentBytes: config.limits.maxContentBytes, now: Date.now() });
    if (r.unread === 0) return [{ check: "legacy", status: "ok", message: `claude-ipc-mcp database ${path}: no unread mail left to import` }];
    return [{
      check: "legacy",
      status: "warn",
      message: `claude-ipc-mcp database ${path} holds ${r.unread} unread message${r.unread === 1 ? "" : "s"} not yet in ipc`,
      fix: `ipc stop; ipc import-legacy ${q(path)}`,
    }];
  } catch (err) {
    return [{ check: "legacy", status: "warn", message: `${path} looks like a claude-ipc-mcp database but cannot be read: ${(err as Error).message}` }];
  }
};
