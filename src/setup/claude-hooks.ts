/**
 * Claude Code hooks that run `ipc hook claude-code` (UserPromptSubmit,
 * PostToolUse, SessionStart), merged into .claude/settings.json or
 * ~/.claude/settings.json. Format: Claude Code's hooks reference —
 * `{"hooks": {"<Event>": [{"matcher"?, "hooks": [{"type": "command", "command"}]}]}}`.
 */
import { IpcError } from "../protocol/errors.ts";
import { brokerEnv, shellLine } from "./launch.ts";
import { type JsonObject, assertPathOpen, isObject, parseJsonConfig, setJsonValue } from "./json-config.ts";

/** The events ipc hooks into: new prompt, after each tool call, session start. */
export const HOOK_EVENTS = ["UserPromptSubmit", "PostToolUse", "SessionStart"] as const;

/** What identifies an ipc hook command, whatever binary path precedes it. */
const MARK = / hook claude-code( |$)/;

/**
 * The shell command of our hook: `self … hook claude-code`, with `--as NAME`
 * when a name is given, after `VAR=value` assignments of the broker's address
 * when it is not the default (see brokerEnv).
 */
export function hookCommand(self: string[], name?: string | null, env: Record<string, string> = brokerEnv()): string {
  const assignments = Object.entries(env).map(([k, v]) => `${k}=${shellLine([v])}`);
  return [...assignments, shellLine([...self, "hook", "claude-code", ...(name ? ["--as", name] : [])])].join(" ");
}

/** True for a hook command that runs `ipc hook claude-code`. */
export function isIpcHook(command: unknown): command is string {
  return typeof command === "string" && MARK.test(command);
}

/** One event's hook group for `command` (PostToolUse matches every tool). */
function group(event: string, command: string): JsonObject {
  return { ...(event === "PostToolUse" && { matcher: "*" }), hooks: [{ type: "command", command }] };
}

/** The settings.json snippet that installs our hooks. */
export function hooksSnippet(command: string): JsonObject {
  return { hooks: Object.fromEntries(HOOK_EVENTS.map((e) => [e, [group(e, command)]])) };
}

/** The commands of an event's hook groups, with their positions. */
function ipcHooks(groups: unknown[]): Array<{ g: number; h: number; command: string }> {
  const found: Array<{ g: number; h: number; command: string }> = [];
  groups.forEach((grp, g) => {
    const hooks = isObject(grp) && Array.isArray(grp.hooks) ? grp.hooks : [];
    hooks.forEach((hook, h) => {
      if (isObject(hook) && isIpcHook(hook.command)) found.push({ g, h, command: hook.command });
    });
  });
  return found;
}

/**
 * `text` (settings.json of `file`) with our hook on each event: kept when
 * present, its command updated when it points at another binary, added
 * when absent; every other hook and setting stays.
 * @throws IpcError when the file is malformed or `hooks` has the wrong shape.
 */
export function mergeHooks(file: string, text: string, command: string): string {
  let out = text;
  for (const event of HOOK_EVENTS) {
    const root = parseJsonConfig(file, out);
    assertPathOpen(file, root, ["hooks", event]);
    const groups = (root.hooks as JsonObject | undefined)?.[event];
    if (groups !== undefined && !Array.isArray(groups)) throw new IpcError("BAD_REQUEST", `${file}: "hooks.${event}" should be an array; fix it by hand (nothing was written)`);
    const existing = ipcHooks(groups ?? []);
    if (existing.some((e) => e.command === command)) continue;
    const first = existing[0];
    if (first !== undefined) out = setJsonValue(out, ["hooks", event, first.g, "hooks", first.h, "command"], command);
    else out = setJsonValue(out, ["hooks", event], [...(groups ?? []), group(event, command)]);
  }
  return out;
}
