/**
 * Claude Code hooks of ipc, merged into .claude/settings.json or
 * ~/.claude/settings.json: `ipc hook claude-code` adds unread mail as context
 * (UserPromptSubmit, PostToolUse, SessionStart), and `ipc hook claude-code
 * --wake` holds a wake waiter in the background (SessionStart, Stop; an async
 * hook with asyncRewake, see src/hook/wake.ts). Format: Claude Code's hooks
 * reference — `{"hooks": {"<Event>": [{"matcher"?, "hooks": [{"type":
 * "command", "command", "async"?, "asyncRewake"?, "timeout"?}]}]}}`.
 */
import { WAKE_HOOK_TIMEOUT_S } from "../hook/wake-hold.ts";
import { IpcError } from "../protocol/errors.ts";
import { brokerEnv, shellLine } from "./launch.ts";
import { type JsonObject, assertPathOpen, isObject, parseJsonConfig, setJsonValue } from "./json-config.ts";

/** One hook ipc installs: the event, and whether it is the wake waiter or the context hook. */
interface HookSpec {
  event: string;
  wake: boolean;
}

/**
 * Our hooks: context on a new prompt, after each tool call and at session
 * start; a wake waiter armed at session start (so a fresh session is
 * reachable before its first turn) and again at the end of every turn.
 */
export const HOOK_SPECS: readonly HookSpec[] = [
  { event: "UserPromptSubmit", wake: false },
  { event: "PostToolUse", wake: false },
  { event: "SessionStart", wake: false },
  { event: "SessionStart", wake: true },
  { event: "Stop", wake: true },
];

/** What identifies an ipc hook command, whatever binary path precedes it. */
const MARK = / hook claude-code( |$)/;
const WAKE_MARK = / --wake( |$)/;

/**
 * The shell command of our context hook: `self … hook claude-code`, with
 * `--as NAME` when a name is given, after `VAR=value` assignments of the
 * broker's address when it is not the default (see brokerEnv). The wake hook
 * is the same command plus `--wake` (wakeCommand).
 */
export function hookCommand(self: string[], name?: string | null, env: Record<string, string> = brokerEnv()): string {
  const assignments = Object.entries(env).map(([k, v]) => `${k}=${shellLine([v])}`);
  return [...assignments, shellLine([...self, "hook", "claude-code", ...(name ? ["--as", name] : [])])].join(" ");
}

/** The wake waiter's command for context hook command `command`. */
export function wakeCommand(command: string): string {
  return `${command} --wake`;
}

/** True for a hook command that runs `ipc hook claude-code` (with or without --wake). */
export function isIpcHook(command: unknown): command is string {
  return typeof command === "string" && MARK.test(command);
}

/** The hook object of `spec` for context hook command `command`. */
function hookEntry(spec: HookSpec, command: string): JsonObject {
  if (!spec.wake) return { type: "command", command };
  return { type: "command", command: wakeCommand(command), async: true, asyncRewake: true, timeout: WAKE_HOOK_TIMEOUT_S };
}

/** One event's hook group for `spec` (PostToolUse matches every tool). */
function group(spec: HookSpec, command: string): JsonObject {
  return { ...(spec.event === "PostToolUse" && { matcher: "*" }), hooks: [hookEntry(spec, command)] };
}

/** The settings.json snippet that installs our hooks. */
export function hooksSnippet(command: string): JsonObject {
  const hooks: Record<string, JsonObject[]> = {};
  for (const spec of HOOK_SPECS) (hooks[spec.event] ??= []).push(group(spec, command));
  return { hooks };
}

/** The ipc hooks of one kind among an event's hook groups, with their positions. */
function ipcHooks(groups: unknown[], wake: boolean): Array<{ g: number; h: number; hook: JsonObject }> {
  const found: Array<{ g: number; h: number; hook: JsonObject }> = [];
  groups.forEach((grp, g) => {
    const hooks = isObject(grp) && Array.isArray(grp.hooks) ? grp.hooks : [];
    hooks.forEach((hook, h) => {
      if (isObject(hook) && isIpcHook(hook.command) && WAKE_MARK.test(hook.command) === wake) found.push({ g, h, hook });
    });
  });
  return found;
}

/**
 * `text` (settings.json of `file`) with each of our hooks: kept when present
 * as it should be, replaced when it points at another binary or lacks its
 * options, added when absent; every other hook and setting stays.
 * @throws IpcError when the file is malformed or `hooks` has the wrong shape.
 */
export function mergeHooks(file: string, text: string, command: string): string {
  let out = text;
  for (const spec of HOOK_SPECS) {
    const root = parseJsonConfig(file, out);
    assertPathOpen(file, root, ["hooks", spec.event]);
    const groups = (root.hooks as JsonObject | undefined)?.[spec.event];
    if (groups !== undefined && !Array.isArray(groups)) throw new IpcError("BAD_REQUEST", `${file}: "hooks.${spec.event}" should be an array; fix it by hand (nothing was written)`);
    const entry = hookEntry(spec, command);
    const existing = ipcHooks(groups ?? [], spec.wake);
    if (existing.some((e) => Bun.deepEquals(e.hook, entry, true))) continue;
    const first = existing[0];
    if (first !== undefined) out = setJsonValue(out, ["hooks", spec.event, first.g, "hooks", first.h], entry);
    else out = setJsonValue(out, ["hooks", spec.event], [...(groups ?? []), group(spec, command)]);
  }
  return out;
}
