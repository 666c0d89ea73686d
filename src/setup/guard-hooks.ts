/**
 * The edit guard's hook entries (docs/coordination.md), added by `ipc setup
 * <host> --hooks` next to the host's other ipc hooks: Claude Code's
 * `PreToolUse` for its edit tools and `Bash`, and Gemini CLI's `BeforeTool`
 * for its write tools and `run_shell_command`, each running `ipc guard hook`
 * (a shell tool's command line is read for the files it writes). Formats: Claude Code's and Gemini
 * CLI's hooks references, `{"hooks": {"<Event>": [{"matcher", "hooks":
 * [{"type": "command", "command"}]}]}}`. Merged once: an entry already running
 * `guard hook` is updated in place, every other hook stays.
 */
import { IpcError } from "../protocol/errors.ts";
import type { Host, Launch } from "./hosts.ts";
import { type JsonObject, assertPathOpen, isObject, parseJsonConfig, setJsonValue } from "./json-config.ts";
import { shellLine } from "./launch.ts";
import { readText } from "./write-file.ts";

/** Per host: the event, the tools it guards (a regex matcher), and the output format (`--for`). */
export const GUARD_EVENTS: Partial<Record<Host["id"], { event: string; matcher: string; format: string }>> = {
  "claude-code": { event: "PreToolUse", matcher: "Edit|Write|MultiEdit|NotebookEdit|Bash", format: "claude-code" },
  gemini: { event: "BeforeTool", matcher: "write_file|replace|run_shell_command", format: "gemini" },
};

/** What identifies our guard hook, whatever binary path precedes it. */
const MARK = / guard hook( |$)/;

/**
 * The guard's shell command for a host started as `launch` (the MCP entry):
 * the same program and broker address, acting as its fixed IPC_NAME if any.
 */
export function guardCommand(launch: Launch, format: string): string {
  const { IPC_NAME, IPC_SEAT: _seat, ...env } = launch.env ?? {};
  const assignments = Object.entries(env).map(([k, v]) => `${k}=${shellLine([v])}`);
  const program = [launch.command, ...launch.args.slice(0, -1)]; // drop "mcp"
  return [...assignments, shellLine([...program, "guard", "hook", "--for", format, ...(IPC_NAME ? ["--as", IPC_NAME] : [])])].join(" ");
}

/**
 * `text` (the host's settings of `file`) with the guard hook for `host`;
 * unchanged for a host without one.
 * @throws IpcError when the file is malformed or the event has the wrong shape.
 */
export function mergeGuardHook(hostId: Host["id"], file: string, text: string, launch: Launch): string {
  const spec = GUARD_EVENTS[hostId];
  if (spec === undefined) return text;
  const command = guardCommand(launch, spec.format);
  const root = parseJsonConfig(file, text);
  assertPathOpen(file, root, ["hooks", spec.event]);
  const groups = (root.hooks as JsonObject | undefined)?.[spec.event];
  if (groups !== undefined && !Array.isArray(groups)) throw new IpcError("BAD_REQUEST", `${file}: "hooks.${spec.event}" should be an array; fix it by hand (nothing was written)`);
  const list: unknown[] = groups ?? [];
  for (let g = 0; g < list.length; g++) {
    const grp = list[g];
    const hooks = isObject(grp) && Array.isArray(grp.hooks) ? grp.hooks : [];
    for (let h = 0; h < hooks.length; h++) {
      const hook = hooks[h];
      if (!isObject(hook) || typeof hook.command !== "string" || !MARK.test(hook.command)) continue;
      // An entry from an older ipc (without the shell tool in its matcher) gets the current matcher too.
      const withMatcher = isObject(grp) && grp.matcher !== spec.matcher ? setJsonValue(text, ["hooks", spec.event, g, "matcher"], spec.matcher) : text;
      return hook.command === command ? withMatcher : setJsonValue(withMatcher, ["hooks", spec.event, g, "hooks", h, "command"], command);
    }
  }
  return setJsonValue(text, ["hooks", spec.event], [...list, { matcher: spec.matcher, hooks: [{ type: "command", command }] }]);
}


/**
 * Adds the guard hook of `hostId` to `file` among `plans` (the files setup is
 * about to write): merged into that plan's new text, or into the file's
 * current text as a new plan.
 */
export function planGuardHook(plans: Array<{ file: string; before: string | null; after: string }>, hostId: Host["id"], file: string, launch: Launch): void {
  if (GUARD_EVENTS[hostId] === undefined) return;
  const plan = plans.find((p) => p.file === file);
  if (plan !== undefined) plan.after = mergeGuardHook(hostId, file, plan.after, launch);
  else {
    const before = readText(file);
    plans.push({ file, before, after: mergeGuardHook(hostId, file, before ?? "", launch) });
  }
}
