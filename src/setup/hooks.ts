/**
 * The hooks `ipc setup <host> --hooks` merges into a host's hooks file, per
 * host, as each host's hooks reference describes them:
 * - Claude Code (.claude/settings.json, ~/.claude/settings.json):
 *   `{"hooks": {"<Event>": [{"matcher"?, "hooks": [{"type": "command", "command", …}]}]}}`;
 *   `ipc hook claude-code` adds mail as context (UserPromptSubmit, PostToolUse,
 *   SessionStart) and `ipc hook claude-code --wake` is the wake waiter, an
 *   async hook with asyncRewake armed at SessionStart and Stop (src/hook/wake.ts).
 * - Codex (~/.codex/hooks.json, the same layout): `ipc hook codex` on SessionStart,
 *   UserPromptSubmit and Stop.
 * - Gemini CLI (its settings.json, the same layout; timeout in ms): `ipc hook gemini`
 *   on SessionStart, BeforeAgent, AfterTool and AfterAgent.
 * - Cursor (.cursor/hooks.json, ~/.cursor/hooks.json):
 *   `{"version": 1, "hooks": {"<event>": [{"command"}]}}`; `ipc hook cursor` on stop.
 * Windsurf's hooks cannot hand text to the model, so it has none.
 */
import { join } from "node:path";
import { WAKE_HOOK_TIMEOUT_S } from "../hook/wake-hold.ts";
import { IpcError } from "../protocol/errors.ts";
import type { Host, Places, Scope } from "./hosts.ts";
import { type JsonObject, assertPathOpen, isObject, parseJsonConfig, setJsonValue } from "./json-config.ts";
import { brokerEnv, shellLine } from "./launch.ts";

/** One hook ipc installs: its event, whether it is the wake waiter, and the entry's other keys. */
interface HookSpec {
  event: string;
  wake?: boolean;
  matcher?: string;
  options?: JsonObject;
}

/** The hooks of one host. */
export interface HookSet {
  /** The `ipc hook` subcommand the hooks run. */
  subcommand: string;
  /** The hooks file of `scope`. */
  file(scope: Scope, places: Places): string;
  /** The host reads the file as JSONC. */
  jsonc: boolean;
  /** "groups": hooks.<Event> holds `{matcher?, hooks: [entry]}` groups; "flat": hooks.<event> holds entries. */
  layout: "groups" | "flat";
  /** Keys the file must have at its top (set when absent). */
  top?: JsonObject;
  specs: readonly HookSpec[];
}

/** The options of the wake waiter's entry: in the background, waking the model on exit 2, for up to a day. */
const WAKE_OPTIONS: JsonObject = { async: true, asyncRewake: true, timeout: WAKE_HOOK_TIMEOUT_S };

/** The hooks of each host that has any. */
export const HOOK_SETS: Partial<Record<Host["id"], HookSet>> = {
  "claude-code": {
    subcommand: "claude-code",
    file: (scope, p) => (scope === "project" ? join(p.project, ".claude", "settings.json") : join(p.home, ".claude", "settings.json")),
    jsonc: false,
    layout: "groups",
    specs: [
      { event: "UserPromptSubmit" },
      { event: "PostToolUse", matcher: "*" },
      { event: "SessionStart" },
      // The wake waiter: armed at session start (a fresh session is reachable before its first turn) and after every turn.
      { event: "SessionStart", wake: true, options: WAKE_OPTIONS },
      { event: "Stop", wake: true, options: WAKE_OPTIONS },
    ],
  },
  codex: {
    subcommand: "codex",
    file: (_scope, p) => join(p.codexHome, "hooks.json"),
    jsonc: false,
    layout: "groups",
    specs: [
      { event: "SessionStart", options: { timeout: 30 } },
      { event: "UserPromptSubmit", options: { timeout: 30 } },
      { event: "Stop", options: { timeout: 30 } },
    ],
  },
  gemini: {
    subcommand: "gemini",
    file: (scope, p) => (scope === "project" ? join(p.project, ".gemini", "settings.json") : join(p.home, ".gemini", "settings.json")),
    jsonc: true,
    layout: "groups",
    specs: [
      { event: "SessionStart", options: { name: "ipc", timeout: 30_000 } },
      { event: "BeforeAgent", options: { name: "ipc", timeout: 30_000 } },
      { event: "AfterTool", matcher: ".*", options: { name: "ipc", timeout: 30_000 } },
      { event: "AfterAgent", options: { name: "ipc", timeout: 30_000 } },
    ],
  },
  cursor: {
    subcommand: "cursor",
    file: (scope, p) => (scope === "project" ? join(p.project, ".cursor", "hooks.json") : join(p.home, ".cursor", "hooks.json")),
    jsonc: true,
    layout: "flat",
    top: { version: 1 },
    specs: [{ event: "stop" }],
  },
};

/** What identifies an ipc hook command, whatever binary path precedes it. */
const MARK = / hook (claude-code|codex|gemini|cursor)( |$)/;
const WAKE_MARK = / --wake( |$)/;

/**
 * The shell command of a hook: `self … hook <subcommand>`, with `--as NAME`
 * when a name is given, after `VAR=value` assignments of the broker's address
 * when it is not the default (see brokerEnv). The wake waiter adds `--wake`.
 */
export function hookCommand(self: string[], name?: string | null, env: Record<string, string> = brokerEnv(), subcommand = "claude-code"): string {
  const assignments = Object.entries(env).map(([k, v]) => `${k}=${shellLine([v])}`);
  return [...assignments, shellLine([...self, "hook", subcommand, ...(name ? ["--as", name] : [])])].join(" ");
}

/** True for a hook command that runs `ipc hook <host>` (the wake waiter included). */
export function isIpcHook(command: unknown): command is string {
  return typeof command === "string" && MARK.test(command);
}

/** The hook entry of `spec` for hook command `command`. */
function hookEntry(set: HookSet, spec: HookSpec, command: string): JsonObject {
  const full = spec.wake ? `${command} --wake` : command;
  return set.layout === "flat" ? { command: full, ...spec.options } : { type: "command", command: full, ...spec.options };
}

/** What goes into the event's array for `spec`: the entry itself, or a group holding it. */
function item(set: HookSet, spec: HookSpec, command: string): JsonObject {
  const entry = hookEntry(set, spec, command);
  return set.layout === "flat" ? entry : { ...(spec.matcher !== undefined && { matcher: spec.matcher }), hooks: [entry] };
}

/** The hooks-file snippet that installs `set` with hook command `command`. */
export function hooksSnippet(set: HookSet, command: string): JsonObject {
  const hooks: Record<string, JsonObject[]> = {};
  for (const spec of set.specs) (hooks[spec.event] ??= []).push(item(set, spec, command));
  return { ...set.top, hooks };
}

/** Our hook entries of one kind (wake or not) in an event's array, with their paths inside it. */
function ipcHooks(set: HookSet, items: unknown[], wake: boolean): Array<{ path: number[]; hook: JsonObject }> {
  const found: Array<{ path: number[]; hook: JsonObject }> = [];
  const consider = (hook: unknown, path: number[]) => {
    if (isObject(hook) && isIpcHook(hook.command) && WAKE_MARK.test(hook.command) === wake) found.push({ path, hook });
  };
  items.forEach((it, g) => {
    if (set.layout === "flat") return consider(it, [g]);
    const hooks = isObject(it) && Array.isArray(it.hooks) ? it.hooks : [];
    hooks.forEach((hook, h) => consider(hook, [g, h]));
  });
  return found;
}

/**
 * `text` (the hooks file `file`) with each hook of `set`: kept when present as
 * it should be, replaced when it points at another binary or lacks its
 * options, added when absent; every other hook and setting stays.
 * @throws IpcError when the file is malformed or `hooks` has the wrong shape.
 */
export function mergeHooks(set: HookSet, file: string, text: string, command: string): string {
  let out = text;
  for (const spec of set.specs) {
    const root = parseJsonConfig(file, out, set.jsonc);
    assertPathOpen(file, root, ["hooks", spec.event]);
    const items = (root.hooks as JsonObject | undefined)?.[spec.event];
    if (items !== undefined && !Array.isArray(items)) throw new IpcError("BAD_REQUEST", `${file}: "hooks.${spec.event}" should be an array; fix it by hand (nothing was written)`);
    const entry = hookEntry(set, spec, command);
    const existing = ipcHooks(set, items ?? [], spec.wake === true);
    if (existing.some((e) => Bun.deepEquals(e.hook, entry, true))) continue;
    const first = existing[0];
    const at = set.layout === "flat" ? [] : ["hooks"];
    if (first !== undefined) out = setJsonValue(out, ["hooks", spec.event, first.path[0]!, ...at, ...first.path.slice(1)], entry);
    else out = setJsonValue(out, ["hooks", spec.event], [...(items ?? []), item(set, spec, command)]);
  }
  const root = parseJsonConfig(file, out, set.jsonc);
  for (const [key, value] of Object.entries(set.top ?? {})) if (root[key] === undefined) out = setJsonValue(out, [key], value);
  return out;
}
