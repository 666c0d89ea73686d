/**
 * Gemini CLI's trusted folders: in a folder it does not trust, Gemini CLI
 * starts no MCP server (not even the user-level ipc entry: `gemini mcp list`
 * shows it "Disabled") and runs no hooks, and asks "Do you trust the files in
 * this folder?" when it starts there interactively. The rule, as Gemini CLI
 * 0.61 applies it (packages/core/src/utils/trust.ts, docs/cli/trusted-folders.md):
 * 1. GEMINI_RESTRICTED_MODE=true or GEMINI_CLI_TRUST_WORKSPACE=false: untrusted;
 *    GEMINI_CLI_TRUST_WORKSPACE=true: trusted;
 * 2. `security.folderTrust.enabled: false` in the user's settings.json: every folder is trusted;
 * 3. else the longest rule of `~/.gemini/trustedFolders.json` (`{"<path>":
 *    "TRUST_FOLDER" | "TRUST_PARENT" | "DO_NOT_TRUST"}`, real paths compared;
 *    TRUST_PARENT trusts the parent of its path) that contains the folder;
 *    no rule: untrusted.
 */
import { realpathSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { type GeminiEnv, geminiEnv } from "../config.ts";
import { isObject, parseJsonConfig, setJsonValue, valueAt } from "./json-config.ts";
import { readText } from "./write-file.ts";

/** Whether Gemini CLI trusts a folder, why, and the file that decides it. */
export interface GeminiTrust {
  trusted: boolean;
  /** Why, in words: "listed in …", "GEMINI_CLI_TRUST_WORKSPACE=true", "no rule in … covers it", … */
  why: string;
  /** The trusted-folders file (where a fix goes). */
  file: string;
}

const LEVELS = new Set(["TRUST_FOLDER", "TRUST_PARENT", "DO_NOT_TRUST"]);

/** Gemini CLI's own directory: `$GEMINI_CLI_HOME/.gemini`, else `~/.gemini`. */
export function geminiDir(home: string, env: GeminiEnv = geminiEnv()): string {
  return join(env.cliHome ?? home, ".gemini");
}

/** The trusted-folders file: GEMINI_CLI_TRUSTED_FOLDERS_PATH, else `~/.gemini/trustedFolders.json`. */
export function trustedFoldersFile(home: string, env: GeminiEnv = geminiEnv()): string {
  return env.trustedFoldersPath ?? join(geminiDir(home, env), "trustedFolders.json");
}

/** `p`'s real path when it exists, else `p` resolved. */
function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

/** True when `child` is `parent` or inside it. */
function within(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/** Whether Gemini CLI, started in `dir` by the user whose home is `home`, trusts it. */
export function geminiTrust(dir: string, home: string, env: GeminiEnv = geminiEnv()): GeminiTrust {
  const file = trustedFoldersFile(home, env);
  if (env.restricted) return { trusted: false, why: "GEMINI_RESTRICTED_MODE=true is set", file };
  if (env.trustWorkspace === "false") return { trusted: false, why: "GEMINI_CLI_TRUST_WORKSPACE=false is set", file };
  if (env.trustWorkspace === "true") return { trusted: true, why: "GEMINI_CLI_TRUST_WORKSPACE=true is set", file };
  const settingsFile = join(geminiDir(home, env), "settings.json");
  try {
    const settings = parseJsonConfig(settingsFile, readText(settingsFile) ?? "", true);
    if (valueAt(settings, ["security", "folderTrust", "enabled"]) === false) return { trusted: true, why: `folder trust is off (security.folderTrust.enabled: false in ${settingsFile})`, file };
  } catch {
    // a malformed settings.json is reported by the host check
  }
  const text = readText(file);
  if (text === null) return { trusted: false, why: `no rule covers it, ${file} does not exist`, file };
  let rules: Record<string, unknown>;
  try {
    rules = parseJsonConfig(file, text, true);
  } catch (err) {
    return { trusted: false, why: `${(err as Error).message.replace(/; fix it by hand.*/, "")}: Gemini CLI refuses to start until it is fixed`, file };
  }
  const bad = Object.entries(rules).find(([, level]) => typeof level !== "string" || !LEVELS.has(level));
  if (bad !== undefined) return { trusted: false, why: `${file}: "${bad[0]}" has trust level ${JSON.stringify(bad[1])}, not TRUST_FOLDER, TRUST_PARENT or DO_NOT_TRUST: Gemini CLI refuses to start until it is fixed`, file };
  const here = real(dir);
  let best: { path: string; level: string } | null = null;
  for (const [path, level] of Object.entries(rules) as Array<[string, string]>) {
    const applies = real(level === "TRUST_PARENT" ? dirname(path) : path);
    if (within(applies, here) && (best === null || path.length > best.path.length)) best = { path, level };
  }
  if (best === null) return { trusted: false, why: `no rule in ${file} covers it`, file };
  if (best.level === "DO_NOT_TRUST") return { trusted: false, why: `${file} says DO_NOT_TRUST for ${best.path}`, file };
  return { trusted: true, why: `${file} says ${best.level} for ${best.path}`, file };
}

/**
 * The text of trusted-folders file `file` (`text`, null when absent) with
 * `dir` trusted (TRUST_FOLDER), every other rule kept.
 * @throws IpcError naming the file when it is not a JSON object.
 */
export function withTrustedFolder(file: string, text: string | null, dir: string): string {
  const rules = parseJsonConfig(file, text ?? "", true);
  const key = resolve(dir);
  if (isObject(rules) && rules[key] === "TRUST_FOLDER") return text ?? "";
  return setJsonValue(text ?? "", [key], "TRUST_FOLDER");
}

/** What to do about an untrusted `dir`: the command, and Gemini CLI's own way. */
export function trustFix(dir: string): string {
  const quoted = /^[\w@%+=:,./-]+$/.test(dir) ? dir : `'${dir.replaceAll("'", `'\\''`)}'`;
  return `ipc setup gemini --write --trust --dir ${quoted} (adds it to trustedFolders.json as TRUST_FOLDER), or start gemini there and choose "Trust folder"`;
}
