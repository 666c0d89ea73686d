/**
 * Doctor: how mail reaches Claude Code sessions (docs/wake.md#claude-code-the-sessions-own-inbox).
 * Says whether the user's `crossSessionInbound` lets ipc write into a session's
 * own inbox here, and for each live session which path its ipc mcp uses and why
 * (the records in $IPC_HOME/inbox/). Silent where Claude Code is not in use.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { claudeMessaging, paths } from "../../config.ts";
import { isAlive } from "../../home/files.ts";
import type { InboxRecord } from "../../mcp/claude-inbox.ts";
import { inboundPolicy, policyText } from "../../mcp/claude-policy.ts";
import type { Check, Finding } from "../check.ts";

/** The delivery records of live Claude Code sessions. */
function liveRecords(dir: string): InboxRecord[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith(".json"));
  } catch {
    return [];
  }
  return files.flatMap((f) => {
    try {
      const r = JSON.parse(readFileSync(join(dir, f), "utf8")) as InboxRecord;
      return typeof r.host_pid === "number" && isAlive(r.host_pid) ? [r] : [];
    } catch {
      return [];
    }
  });
}

/** The policy where doctor runs (ok, or warn with the fix) and one info line per live Claude Code session; nothing without Claude Code. */
export const claudeInboxCheck: Check = ({ config, places }) => {
  const m = claudeMessaging({ ...process.env, HOME: places.home });
  const records = liveRecords(paths.inbox(config));
  if (records.length === 0 && !existsSync(m.configDir)) return [];
  const findings: Finding[] = [];
  const policy = inboundPolicy(m, places.project);
  findings.push(
    policy.value === "accept"
      ? { check: "claude-inbox", status: "ok", message: `Claude Code: ${policyText(policy)}: ipc mcp writes each session's mail into the session's own inbox (Claude Code 2.1.224 or later, interactive)` }
      : {
          check: "claude-inbox",
          status: "warn",
          message: `Claude Code: ${policyText(policy)}, so ipc does not write mail into a session's own inbox here: the wake hook delivers it where installed, else it waits unread for the next turn`,
          fix: `set "crossSessionInbound": "accept" in ${policy.decidedBy ?? join(m.configDir, "settings.json")}, or keep it and install the wake hook: ipc setup claude-code --write --hooks`,
        },
  );
  for (const r of records) {
    findings.push({
      check: "claude-inbox",
      status: "info",
      message: `Claude Code session ${r.host_pid}${r.name !== null ? ` (${r.name})` : ""}: mail ${r.path === "inbox" ? "goes into its own inbox" : "takes the wake hook or the next turn"}: ${r.why}`,
    });
  }
  return findings;
};
