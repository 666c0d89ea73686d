/**
 * `ipc setup <host>`: the configuration snippet that makes an AI host start
 * `ipc mcp`, and merging it into the host's file (JSON or TOML), plus
 * the host's hooks. Every write keeps the other entries, makes a backup
 * first, and is idempotent: a second run changes nothing.
 */
import { join } from "node:path";
import { IpcError } from "../protocol/errors.ts";
import { HOOK_SETS, hooksSnippet, mergeHooks } from "./hooks.ts";
import { mergeGuardHook, planGuardHook } from "./guard-hooks.ts";
import { type Host, type Launch, type Places, type Scope, scopesOf } from "./hosts.ts";
import { type JsonObject, assertPathOpen, parseJsonConfig, setJsonValue, valueAt } from "./json-config.ts";
import { parseTomlConfig, setTomlTable, tomlTable } from "./toml-config.ts";
import { type Written, readText, replaceFile } from "./write-file.ts";

/** What to set up. */
export interface SetupRequest {
  host: Host;
  scope: Scope;
  places: Places;
  /** How the host starts ipc (see mcpLaunch). */
  launch: Launch;
  /** Also install the host's `ipc hook <host>` hooks (hosts of HOOK_SETS), whose command line this is. */
  hookCommand?: string;
}

/** A snippet to paste into `file`. */
export interface Snippet {
  file: string;
  format: "json" | "toml";
  text: string;
}

/** The file `req` configures. @throws IpcError (usage) when the host has no such scope. */
export function configFile(req: Pick<SetupRequest, "host" | "scope" | "places">): string {
  const file = req.host.files[req.scope];
  if (!file) {
    throw new IpcError("BAD_REQUEST", `${req.host.title} has no ${req.scope} configuration; use --scope ${scopesOf(req.host).join(" or --scope ")}`, 2);
  }
  return file(req.places);
}

/** The hooks file of Claude Code for `scope`. */
export function claudeSettingsFile(scope: Scope, places: Places): string {
  return HOOK_SETS["claude-code"]!.file(scope, places);
}

/** `value` nested under `path`: ["a", "b"], v → {a: {b: v}}. */
function nest(path: readonly string[], value: unknown): JsonObject {
  let doc = value as JsonObject;
  for (const key of [...path].reverse()) doc = { [key]: doc };
  return doc;
}

/** The server snippet of `req`, exactly as it goes into the host's file. */
export function serverSnippet(req: SetupRequest): Snippet {
  const entry = req.host.entry(req.launch);
  const text = req.host.format === "toml" ? tomlTable(req.host.keyPath, entry) : `${JSON.stringify(nest(req.host.keyPath, entry), null, 2)}\n`;
  return { file: configFile(req), format: req.host.format, text };
}

/** The hooks snippet for the host's hooks file, when `req` asks for hooks: the wake/turn hooks and the edit guard, as `--write` would merge them. */
export function hooksSnippetOf(req: SetupRequest): Snippet | null {
  const set = HOOK_SETS[req.host.id];
  if (req.hookCommand === undefined || set === undefined) return null;
  const file = set.file(req.scope, req.places);
  // The guard goes in the same file (Claude Code's settings, Gemini CLI's settings.json): see writeSetup.
  const merged = mergeGuardHook(req.host.id, file, JSON.stringify(hooksSnippet(set, req.hookCommand)), req.launch);
  return { file, format: "json", text: `${JSON.stringify(JSON.parse(merged), null, 2)}\n` };
}

/** The new text of the host's config file with our server entry set. */
function withServer(req: SetupRequest, file: string, text: string | null): string {
  const entry = req.host.entry(req.launch);
  const path = req.host.keyPath;
  if (req.host.format === "toml") {
    const doc = parseTomlConfig(file, text ?? "");
    if (Bun.deepEquals(valueAt(doc, path), entry, true)) return text ?? "";
    return setTomlTable(file, text ?? "", path, entry);
  }
  const doc = parseJsonConfig(file, text ?? "", req.host.jsonc);
  assertPathOpen(file, doc, path);
  if (text !== null && Bun.deepEquals(valueAt(doc, path), entry, true)) return text;
  return setJsonValue(text ?? "", path, entry);
}

/**
 * Merges `req`'s server entry (and hooks) into the host's files. Every file
 * is parsed and its new text computed before any is written, so a malformed
 * file stops the whole setup with nothing changed.
 * @throws IpcError naming the file (and line) when a file cannot be parsed or edited.
 */
export function writeSetup(req: SetupRequest, now = new Date()): Written[] {
  const plans: Array<{ file: string; before: string | null; after: string }> = [];
  const file = configFile(req);
  const before = readText(file);
  plans.push({ file, before, after: withServer(req, file, before) });
  const set = HOOK_SETS[req.host.id];
  if (req.hookCommand !== undefined && set !== undefined) {
    const hooksFile = set.file(req.scope, req.places);
    const same = plans.find((p) => p.file === hooksFile); // Gemini CLI: hooks and servers share settings.json
    if (same !== undefined) same.after = mergeHooks(set, hooksFile, same.after, req.hookCommand);
    else {
      const text = readText(hooksFile);
      plans.push({ file: hooksFile, before: text, after: mergeHooks(set, hooksFile, text ?? "", req.hookCommand) });
    }
  }
  // The edit guard (docs/coordination.md): Claude Code's hooks file, Gemini CLI's settings.json.
  if (req.hookCommand !== undefined) planGuardHook(plans, req.host.id, req.host.id === "claude-code" ? claudeSettingsFile(req.scope, req.places) : file, req.launch);
  return plans.map((p) => replaceFile(p.file, p.before, p.before === null && p.after === "" ? "\n" : p.after, now));
}

/**
 * The `ipc` server entry already in a host's config text, or undefined.
 * @throws IpcError naming file and line when the text cannot be parsed.
 */
export function existingEntry(host: Host, file: string, text: string): unknown {
  const doc = host.format === "toml" ? parseTomlConfig(file, text) : parseJsonConfig(file, text, host.jsonc);
  return valueAt(doc, host.keyPath);
}
