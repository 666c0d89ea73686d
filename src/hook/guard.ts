/**
 * The edit guard (docs/coordination.md): before a host edits files, ask the
 * broker for the project's claims and refuse files another name holds
 * exclusively, saying who, why, until when and to message them. Used by
 * `ipc guard hook` (Claude Code PreToolUse, Gemini CLI BeforeTool) and
 * `ipc guard check` (the git pre-commit hook). Fails open: no broker, no
 * claims, a path outside the project or an unreadable input all allow,
 * silently. Never starts a broker.
 */
import { resolveIdentity } from "../client/parent-session.ts";
import { covers } from "../claims/match.ts";
import { projectId, projectRoot, relativeTo } from "../claims/project.ts";
import type { Config } from "../config.ts";
import type { ClaimInfo } from "../protocol/claims.ts";

/** Hosts whose hooks can deny a tool call, and their output formats. */
export type GuardHost = "claude-code" | "gemini";

/** The longest the guard waits for the broker before allowing (ms). */
export const GUARD_TIMEOUT_MS = 3_000;

/** The files a hook input says a tool will write, and the folder it runs in. */
export interface EditIntent {
  cwd: string;
  files: string[];
}

/** Tool input members that name the file an edit tool writes (Claude Code: file_path, notebook_path; Gemini CLI: file_path, absolute_path). */
const FILE_KEYS = ["file_path", "notebook_path", "absolute_path"] as const;

/**
 * The edit a hook's stdin JSON describes (`tool_input.file_path` …, `cwd`),
 * or null when it names no file (then the guard allows).
 */
export function editIntent(input: string, fallbackCwd: string): EditIntent | null {
  let parsed: { cwd?: unknown; tool_input?: Record<string, unknown> };
  try {
    parsed = JSON.parse(input);
  } catch {
    return null;
  }
  if (typeof parsed !== "object" || parsed === null) return null;
  const toolInput = typeof parsed.tool_input === "object" && parsed.tool_input !== null ? parsed.tool_input : {};
  const files = FILE_KEYS.flatMap((k) => (typeof toolInput[k] === "string" && toolInput[k] !== "" ? [toolInput[k] as string] : []));
  if (files.length === 0) return null;
  return { cwd: typeof parsed.cwd === "string" && parsed.cwd.startsWith("/") ? parsed.cwd : fallbackCwd, files };
}

/** A file another name holds exclusively, and that claim. */
export interface Blocked {
  file: string;
  claim: ClaimInfo;
}

/**
 * The files of `intent` held exclusively by a name other than the one this
 * process acts as (resolveIdentity; nobody when none). Empty when no broker
 * answers, the files are outside the project, or nothing is claimed.
 */
export async function blockedFiles(config: Config, intent: EditIntent): Promise<Blocked[]> {
  const root = projectRoot(intent.cwd);
  const files = intent.files.flatMap((f) => {
    const rel = relativeTo(root, intent.cwd, f);
    return rel === null ? [] : [rel];
  });
  if (files.length === 0) return [];
  const claims = await projectClaims(config, projectId(root));
  if (claims.length === 0) return [];
  const me = whoAmI(config);
  const blocked: Blocked[] = [];
  for (const file of files) {
    const claim = claims.find((c) => !c.shared && c.holder !== me && covers(c.path, file));
    if (claim !== undefined) blocked.push({ file, claim });
  }
  return blocked;
}

/**
 * The name this process acts as: --as / IPC_NAME, the host's MCP session, or
 * the name last registered from the host's shell; null otherwise. "The only
 * saved session" does not count: that may well be the holder, whose claims
 * would then not stop this editor.
 */
function whoAmI(config: Config): string | null {
  try {
    const id = resolveIdentity(config);
    return id === null || id.source === "only" ? null : id.name;
  } catch {
    return null;
  }
}

/** The live claims of `project`; none when no broker answers in GUARD_TIMEOUT_MS or it refuses. */
async function projectClaims(config: Config, project: string): Promise<ClaimInfo[]> {
  const { Agent } = await import("../client/agent.ts");
  const agent = new Agent({ ...config, name: null }, { spawn: false, persist: false, lastName: false });
  try {
    return (await agent.call("claims", { project }, GUARD_TIMEOUT_MS)).claims;
  } catch {
    return [];
  } finally {
    agent.close();
  }
}

/** Why an edit is refused, for the model: who holds each file, why, until when, and what to do. */
export function denialReason(blocked: readonly Blocked[]): string {
  const lines = blocked.map(({ file, claim: c }) => {
    const why = c.reason === null ? "" : ` (their stated reason, quoted: ${JSON.stringify(c.reason)})`;
    const via = c.path === file ? "" : ` via its claim on ${c.path}`;
    return `${file} is claimed by ${c.holder}${via}${why} until ${c.expires_at}.`;
  });
  const holders = [...new Set(blocked.map((b) => b.claim.holder))];
  return (
    `ipc file claim: ${lines.join(" ")} Do not edit it now. Message ${holders.join(", ")} (ipc send ${holders[0]} "…" or the MCP send tool) ` +
    "to ask for it or hand over your change, and work on something else until they release it (ipc claims shows who holds what)."
  );
}

/** The hook output that denies the tool call with `reason`, in `host`'s format. */
export function denyOutput(host: GuardHost, reason: string): string {
  // Claude Code hooks reference (PreToolUse): hookSpecificOutput.permissionDecision "deny" + permissionDecisionReason, shown to the model.
  if (host === "claude-code") {
    return JSON.stringify({ hookSpecificOutput: { hookEventName: "PreToolUse", permissionDecision: "deny", permissionDecisionReason: reason } });
  }
  // Gemini CLI hooks reference (BeforeTool): decision "deny" + reason, sent to the model as the tool's result.
  return JSON.stringify({ decision: "deny", reason });
}

/** One hook run: the output to print (a denial), or null to allow silently. */
export async function guardHook(config: Config, host: GuardHost, input: string, cwd: string): Promise<string | null> {
  const intent = editIntent(input, cwd);
  if (intent === null) return null;
  const blocked = await blockedFiles(config, intent);
  return blocked.length === 0 ? null : denyOutput(host, denialReason(blocked));
}
