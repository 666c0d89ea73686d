/**
 * Turn hooks of hosts that cannot be woken while idle (`ipc hook codex`,
 * `ipc hook gemini`, `ipc hook cursor`): mail waiting when a turn starts is
 * added to the model's context, and mail waiting when a turn ends starts one
 * more turn with it, once (a loop guard stops chains). The shapes follow each
 * host's hooks reference:
 * - Codex (developers.openai.com/codex/hooks; codex-rs/hooks/schema):
 *   SessionStart / UserPromptSubmit answer `hookSpecificOutput.additionalContext`;
 *   Stop answers `{"decision": "block", "reason"}`, which Codex sends on as a
 *   continuation prompt; input `stop_hook_active` is true on a continued turn.
 * - Gemini CLI (geminicli.com/docs/hooks/reference): SessionStart / BeforeAgent /
 *   AfterTool answer `hookSpecificOutput.additionalContext`; AfterAgent answers
 *   `{"decision": "deny", "reason"}`, sent to the agent as a new prompt;
 *   input `stop_hook_active` as for Codex.
 * - Cursor (cursor.com/docs/agent/hooks): `stop` answers `{"followup_message"}`,
 *   submitted as the next user message; input `loop_count` counts follow-ups
 *   already made, `status` is completed, aborted or error.
 */
import { hookIdentity } from "../client/parent-session.ts";
import { hostSessionPid } from "../client/host-process.ts";
import { codexIdentity, isThreadId } from "./codex-wake.ts";
import type { Config } from "../config.ts";
import { takeMail } from "./claude-code.ts";
import { hookContext } from "./context.ts";
import { parseHookInput } from "./input.ts";

/** The hosts with turn hooks. */
export const TURN_HOSTS = ["codex", "gemini", "cursor"] as const;
export type TurnHost = (typeof TURN_HOSTS)[number];

/** What one event of a host does with mail: add it as context, or continue the turn with it. */
type Action = "context" | "continue";

const ACTIONS: Record<TurnHost, Record<string, Action>> = {
  codex: { SessionStart: "context", UserPromptSubmit: "context", Stop: "continue" },
  gemini: { SessionStart: "context", BeforeAgent: "context", AfterTool: "context", AfterAgent: "continue" },
  cursor: { stop: "continue" },
};

/** Cursor: no follow-up once this many were made in a row (its own loop_limit caps too). */
export const CURSOR_MAX_FOLLOWUPS = 3;

export interface TurnHookOptions {
  /** The hook input (stdin). */
  input: string;
  /** Where notes for the person go (stderr). */
  warn: (line: string) => void;
}

/** Why a turn-end event must not continue the turn: the loop guard; null when it may. */
function loopGuard(host: TurnHost, input: Record<string, unknown>): string | null {
  if (host === "cursor") {
    if (input.status !== undefined && input.status !== "completed") return `the turn ended ${String(input.status)}`;
    const count = typeof input.loop_count === "number" ? input.loop_count : 0;
    return count >= CURSOR_MAX_FOLLOWUPS ? `${count} follow-ups in a row` : null;
  }
  return input.stop_hook_active === true ? "this turn already continued once" : null;
}

/** The hook output that hands `text` to the model at `event`. */
function output(host: TurnHost, event: string, action: Action, text: string): Record<string, unknown> {
  if (action === "context") return { hookSpecificOutput: { hookEventName: event, additionalContext: text } };
  if (host === "cursor") return { followup_message: text };
  return { decision: host === "codex" ? "block" : "deny", reason: text };
}

/**
 * Runs one turn hook of `host`. Returns the JSON text to print on stdout, or
 * null to print nothing (no mail, the loop guard, an event it does not use, bad input).
 * Never takes mail it will not show.
 * @throws whatever the broker answers besides NO_BROKER (the caller reports it and exits 0).
 */
export async function turnHook(config: Config, host: TurnHost, opts: TurnHookOptions): Promise<string | null> {
  const parsed = parseHookInput(opts.input);
  if (!parsed.ok) {
    opts.warn(`ipc hook ${host}: ${parsed.why}; nothing done`);
    return null;
  }
  const event = parsed.value.hook_event_name;
  const action = typeof event === "string" ? ACTIONS[host][event] : undefined;
  if (action === undefined) {
    opts.warn(`ipc hook ${host}: ${typeof event === "string" ? `the ${event} event` : "an input without hook_event_name"} is not one it handles (${Object.keys(ACTIONS[host]).join(", ")}); nothing done`);
    return null;
  }
  if (action === "continue") {
    const guard = loopGuard(host, parsed.value);
    if (guard !== null) return null; // the mail stays unread for the next turn
  }
  // Codex: the thread's own ipc MCP server first (several sessions may share one Codex process).
  const id = host === "codex" ? codexTurnIdentity(config, parsed.value) : hookIdentity(config);
  if (id === null) {
    opts.warn(`ipc hook ${host}: unknown session: no --as/IPC_NAME with a saved session and no ipc MCP server of this host registered a name; nothing done`);
    return null;
  }
  const mail = await takeMail(config, id.name, id.token);
  if (mail === null) opts.warn(`ipc hook ${host}: no broker answers (start one with \`ipc serve\`); no mail shown, none lost`);
  if (mail === null || mail.list.length === 0) return null;
  return JSON.stringify(output(host, event as string, action, hookContext(id.name, mail.list, mail.moreUnread)));
}

/** Who a Codex turn hook acts as: the name of its thread's own ipc MCP server, else the host's (hookIdentity). */
function codexTurnIdentity(config: Config, input: Record<string, unknown>): { name: string; token: string } | null {
  if (!isThreadId(input.session_id) || typeof input.cwd !== "string") return hookIdentity(config);
  return codexIdentity(config, hostSessionPid(), input.session_id, input.cwd) ?? hookIdentity(config);
}
