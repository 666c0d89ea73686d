/** Doctor: the database opens read-only, passes `PRAGMA quick_check`, and its schema is one this ipc knows. */
import { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import { paths } from "../../config.ts";
import { isCorruption, SCHEMA_VERSION } from "../../store/database.ts";
import { type Check, q } from "../check.ts";
import { joinedBroker } from "./remote.ts";

/** What to do about a damaged database at `path`. */
const RECOVER = (path: string) =>
  `stop the broker (ipc stop), move the file aside (mv ${q(path)} ${q(`${path}.broken`)}) and start again: a fresh database is created (names register again; the old file keeps the old mail)`;

/** ipc.db integrity, without writing to it (safe while a broker runs). */
export const databaseCheck: Check = ({ config }) => {
  const path = paths.database(config);
  if (!existsSync(path)) {
    const remote = joinedBroker(config);
    if (remote !== null) return [{ check: "database", status: "info", message: `the database is the joined broker's, on ${remote}; this machine keeps none` }];
    return [{ check: "database", status: "info", message: `no database yet (${path} is created by the first broker)` }];
  }
  let db: Database | undefined;
  try {
    db = new Database(path, { readonly: true });
    db.exec("PRAGMA busy_timeout = 2000");
    const rows = db.query("PRAGMA quick_check").all() as Array<{ quick_check: string }>;
    const version = (db.query("PRAGMA user_version").get() as { user_version: number }).user_version;
    // quick_check answers "ok", or lines such as "*** in database main ***\nTree 13 page 57 …".
    const problems = rows
      .flatMap((r) => r.quick_check.split("\n"))
      .map((line) => line.trim())
      .filter((line) => line !== "ok" && line !== "" && !line.startsWith("***"));
    if (problems.length > 0) {
      return [{
        check: "database",
        status: "fail",
        message: `${path} is damaged (PRAGMA quick_check found ${problems.length} problem${problems.length === 1 ? "" : "s"}: ${problems.slice(0, 3).join("; ")})`,
        fix: RECOVER(path),
      }];
    }
    if (version > SCHEMA_VERSION) {
      return [{ check: "database", status: "fail", message: `${path} has schema ${version}, newer than this ipc knows (${SCHEMA_VERSION})`, fix: "upgrade ipc" }];
    }
    return [{ check: "database", status: "ok", message: `database ${path} passes quick_check (schema ${version})` }];
  } catch (err) {
    if (isCorruption(err)) {
      return [{
        check: "database",
        status: "fail",
        message: `${path} is damaged (PRAGMA quick_check cannot even read it: ${(err as Error).message})`,
        fix: RECOVER(path),
      }];
    }
    return [{
      check: "database",
      status: "fail",
      message: `cannot read ${path}: ${(err as Error).message}`,
      fix: `check that you own it (chmod 600 ${q(path)}); if it is not a database, move it aside and start again`,
    }];
  } finally {
    db?.close();
  }
};
