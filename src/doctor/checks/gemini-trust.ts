/**
 * Doctor: Gemini CLI's trust of the project folder. Where Gemini CLI has an
 * ipc server entry (user or project settings.json), an untrusted folder turns
 * it off there (and the hooks too) while everything else looks right, so this
 * is a failure with the fix (src/setup/gemini-trust.ts has the rule).
 */
import { hostById } from "../../setup/hosts.ts";
import { geminiTrust, trustFix } from "../../setup/gemini-trust.ts";
import { existingEntry } from "../../setup/setup.ts";
import { readText } from "../../setup/write-file.ts";
import type { Check, Finding } from "../check.ts";

/** True when some Gemini CLI settings file that applies in the project holds an ipc server entry. */
function geminiHasIpc(places: Parameters<Check>[0]["places"]): boolean {
  const host = hostById("gemini")!;
  return Object.values(host.files).some((file) => {
    const path = file(places);
    const text = readText(path);
    if (text === null) return false;
    try {
      return existingEntry(host, path, text) !== undefined;
    } catch {
      return false; // the hosts check reports a malformed file
    }
  });
}

export const geminiTrustCheck: Check = (ctx) => {
  if (!geminiHasIpc(ctx.places)) return [];
  const dir = ctx.places.project;
  const t = geminiTrust(dir, ctx.places.home);
  const finding: Finding = t.trusted
    ? { check: "host:gemini", status: "ok", message: `Gemini CLI trusts ${dir} (${t.why}), so it starts the ipc server there` }
    : {
        check: "host:gemini",
        status: "fail",
        message: `Gemini CLI does not trust ${dir}: ${t.why}. There it starts no MCP server (gemini mcp list shows ipc "Disabled") and runs no hooks`,
        fix: trustFix(dir),
      };
  return [finding];
};
