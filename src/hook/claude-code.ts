/**
 * The Claude Code hook (`ipc hook claude-code`, for UserPromptSubmit,
 * PostToolUse and SessionStart): when auto-check is on and due (or always,
 * with --always), it consumes the unread mail and answers with hook JSON
 * whose additionalContext shows it to the model, so the model sees messages
 * without calling a tool. It never starts a broker (none answering means no
 * mail), and the common case, nothing due, costs one small file read before
 * anything else is loaded.
 */
import { dueForCheck, markChecked } from "../auto-check/state.ts";
import { resolveIdentity } from "../client/parent-session.ts";
import type { Config } from "../config.ts";

/** Hook events whose output may carry additionalContext (Claude Code hooks reference). */
export const CONTEXT_EVENTS: ReadonlySet<string> = new Set(["UserPromptSubmit", "PostToolUse", "SessionStart", "PreToolUse"]);

/** The event assumed when stdin says nothing usable. */
export const DEFAULT_EVENT = "UserPromptSubmit";

/** At most this many messages are taken per hook run; the rest stay unread. */
export const HOOK_MESSAGE_LIMIT = 20;

export interface HookOptions {
  /** Check on every run, whatever auto-check says. */
  always: boolean;
  /** The hook input Claude Code writes to stdin ("" when there is none). */
  readInput: () => Promise<string>;
  /** Where notes for the person go (stderr). */
  warn: (line: string) => void;
}

/** The event name from the hook's stdin JSON, else DEFAULT_EVENT. */
export function hookEventName(input: string): string {
  try {
    const event = (JSON.parse(input) as { hook_event_name?: unknown })?.hook_event_name;
    return typeof event === "string" && /^[A-Za-z]{1,64}$/.test(event) ? event : DEFAULT_EVENT;
  } catch {
    return DEFAULT_EVENT;
  }
}

/**
 * Runs the hook once for `config`. Returns the JSON text to print, or null to print nothing
 * (no name, auto-check off or not due, no broker, no mail).
 * @throws whatever the broker answers besides NO_BROKER (the caller reports it and exits 0).
 */
export async function claudeCodeHook(config: Config, opts: HookOptions): Promise<string | null> {
  const id = resolveIdentity(config);
  if (id === null) return null;
  const now = new Date();
  const due = dueForCheck(config, id.name, now);
  if (!due && !opts.always) return null;
  const event = hookEventName(await opts.readInput());
  if (!CONTEXT_EVENTS.has(event)) {
    opts.warn(`ipc hook: ${event} hooks cannot add context; use it on UserPromptSubmit, PostToolUse or SessionStart`);
    return null;
  }
  // Claim this interval before checking, so hooks firing together check once.
  if (due) markChecked(config, id.name, now);
  const messages = await takeMail(config, id.name, id.token);
  if (messages === null || messages.list.length === 0) return null;
  const { hookContext } = await import("./context.ts");
  const additionalContext = hookContext(id.name, messages.list, messages.moreUnread);
  return JSON.stringify({ hookSpecificOutput: { hookEventName: event, additionalContext } });
}

/** Consumes up to HOOK_MESSAGE_LIMIT unread messages of `name` (with `moreUnread`, the count left); null when no broker answers. */
export async function takeMail(config: Config, name: string, token: string | null) {
  const [{ Agent }, { loadSession }, { IpcError }] = await Promise.all([
    import("../client/agent.ts"),
    import("../client/session-store.ts"),
    import("../protocol/errors.ts"),
  ]);
  const agent = new Agent({ ...config, name }, { spawn: false, persist: false });
  const saved = token ?? loadSession(config, name)?.token ?? null;
  if (saved !== null) agent.adopt(name, saved);
  try {
    const { messages } = await agent.call("check", { limit: HOOK_MESSAGE_LIMIT });
    const moreUnread =
      messages.length === HOOK_MESSAGE_LIMIT ? await agent.call("whoami", {}).then((w) => w.unread, () => 0) : 0;
    return { list: messages, moreUnread };
  } catch (err) {
    if (err instanceof IpcError && err.code === "NO_BROKER") return null;
    throw err;
  } finally {
    agent.close();
  }
}
