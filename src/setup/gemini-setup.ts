/**
 * The Gemini CLI part of `ipc setup gemini`: the folder's trust
 * (gemini-trust.ts), said after the entry is shown or written, and with
 * `--trust` written into Gemini CLI's trusted-folders file.
 */
import { resolve } from "node:path";
import { type GeminiTrust, geminiTrust, trustFix, withTrustedFolder } from "./gemini-trust.ts";
import { type Written, readText, replaceFile } from "./write-file.ts";

/** What setup did or found about the folder's trust. */
export interface TrustStep {
  dir: string;
  trust: GeminiTrust;
  /** The trusted-folders file, when --trust --write changed or confirmed it. */
  written: Written | null;
  /** Lines for the person: ✔ trusted, or ⚠ with the fix. */
  lines: string[];
}

/**
 * Checks (and with `trust && write`, grants) Gemini CLI's trust of `dir`
 * for the user whose home is `home`.
 * @throws IpcError naming the file when the trusted-folders file is malformed and --trust would edit it.
 */
export function geminiTrustStep(opts: { dir: string; home: string; trust: boolean; write: boolean; now?: Date }): TrustStep {
  const dir = resolve(opts.dir);
  let trust = geminiTrust(dir, opts.home);
  let written: Written | null = null;
  if (opts.trust && opts.write && !trust.trusted) {
    const before = readText(trust.file);
    written = replaceFile(trust.file, before, withTrustedFolder(trust.file, before, dir), opts.now);
    trust = geminiTrust(dir, opts.home);
  }
  const lines: string[] = [];
  if (written !== null) lines.push(`✔ Gemini CLI: ${dir} trusted in ${written.file}${written.backup ? ` (backup: ${written.backup})` : ""}`);
  if (!trust.trusted) {
    lines.push(
      `⚠ Gemini CLI does not trust ${dir}: ${trust.why}. There it starts no MCP server (not even user-level ones, so no ipc) and runs no hooks.`,
      `  Fix: ${trustFix(dir)}.`,
    );
  }
  return { dir, trust, written, lines };
}
