/**
 * `ipc import-legacy [PATH]`: bring the mail of a claude-ipc-mcp database
 * into IPC_HOME. Runs with the broker stopped (it takes the broker's lock, so
 * none starts meanwhile); `--dry-run` only reports and may run any time.
 */
import { homedir } from "node:os";
import { mkdirSync } from "node:fs";
import { defineCommand } from "citty";
import { brokerArgs, configFrom } from "../cli/args.ts";
import { emit, plural } from "../cli/output.ts";
import { paths } from "../config.ts";
import { acquireLock, removeLock } from "../broker/edge/lock.ts";
import { IpcError } from "../protocol/errors.ts";
import { openDatabase } from "../store/database.ts";
import { defaultLegacyDatabase, importLegacy, type LegacyImportReport, previewLegacy } from "../store/legacy-import.ts";

export default defineCommand({
  meta: { name: "import-legacy", description: "Import the messages of a claude-ipc-mcp database (run with the broker stopped)" },
  args: {
    path: { type: "positional", required: false, description: "the legacy messages.db (default ~/.claude-ipc-data/messages.db, then a /tmp/ipc-messages.db you own)" },
    all: { type: "boolean", description: "also import read messages, as history (default: unread only)" },
    "dry-run": { type: "boolean", description: "report what would be imported; write nothing (safe while a broker runs)" },
    home: brokerArgs.home,
    json: brokerArgs.json,
  },
  async run({ args }) {
    const config = configFrom(args);
    const path = args.path ?? defaultLegacyDatabase(process.env.HOME || homedir());
    if (path === undefined) {
      throw new IpcError(
        "NOT_FOUND",
        "no claude-ipc-mcp database at ~/.claude-ipc-data/messages.db (nor a /tmp/ipc-messages.db of yours); give its path: ipc import-legacy PATH",
      );
    }
    const opts = { all: args.all === true, maxContentBytes: config.limits.maxContentBytes, now: Date.now() };
    let report: LegacyImportReport;
    if (args["dry-run"] === true) {
      report = previewLegacy(paths.database(config), path, opts);
    } else {
      mkdirSync(config.home, { recursive: true, mode: 0o700 });
      const lockPath = paths.lock(config);
      const owner = acquireLock(lockPath, { pid: process.pid, host: config.host, port: 0, socket: null, started_at: new Date().toISOString(), role: "import" });
      if (owner !== "acquired") {
        throw new IpcError(
          "CONFLICT",
          owner.role === "import"
            ? `another ipc import-legacy (pid ${owner.pid}) is writing ${config.home}; wait for it to finish`
            : `a broker is running for ${config.home} (pid ${owner.pid}): stop it with \`ipc stop\`, import, and it starts again with the next command`,
        );
      }
      try {
        const db = openDatabase(paths.database(config), config.synchronous);
        try {
          report = importLegacy(db, path, { ...opts, dryRun: false });
        } finally {
          db.close();
        }
      } finally {
        removeLock(lockPath);
      }
    }
    emit(config, () => describe(report), report);
  },
});

/** The report in sentences. */
function describe(r: LegacyImportReport): string {
  const verb = r.dry_run ? "Would import" : "Imported";
  const lines = [`${verb} ${plural(r.unread, "unread message")}${r.read > 0 ? ` and ${plural(r.read, "read message")} as history` : ""} from ${r.source}.`];
  if (r.names.length > 0) lines.push(`Names ${r.dry_run ? "to register" : "registered"} (their mail is kept): ${r.names.join(", ")}.`);
  if (r.already_imported > 0) lines.push(`${plural(r.already_imported, "message")} ${r.already_imported === 1 ? "was" : "were"} imported before and left alone.`);
  if (r.read_left_out > 0) lines.push(`${plural(r.read_left_out, "read message")} left out; add --all to import ${r.read_left_out === 1 ? "it" : "them"} as history.`);
  for (const s of r.skipped) lines.push(`Skipped legacy message ${s.legacy_id === null ? "without an id" : `#${s.legacy_id}`}: ${s.reason}.`);
  if (!r.dry_run && r.unread > 0) lines.push("Each agent sees its messages with its next check.");
  return lines.join("\n");
}
