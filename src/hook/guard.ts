/**
 * The edit guard (docs/coordination.md): before a host edits files, ask the
 * broker for the claims and refuse files another name holds exclusively,
 * saying who, until when and to message them. Used by `ipc guard hook`
 * (Claude Code PreToolUse, Gemini CLI BeforeTool; also their shell tools,
 * whose command line is read for the files it writes: claims/shell-writes.ts)
 * and `ipc guard check` (the git pre-commit hook).
 *
 * The project and the path in it come from the edited file's own location
 * (its git root and that root's id; or a claimed project folder holding it),
 * never from the session's working folder; a file with other hard links is
 * also checked as every claimed file with its (device, inode). Fails open:
 * no broker, no claims, an unclaimed file or an unreadable input all allow,
 * silently. Never starts a broker.
 */
import { lstatSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { resolveIdentity } from "../client/parent-session.ts";
import { reasonNote } from "../claims/format.ts";
import { covers, isGlob } from "../claims/match.ts";
import { gitRoot, projectId, projectRoot, realish } from "../claims/project.ts";
import { shellWrites } from "../claims/shell-writes.ts";
import { boundedGlob } from "../claims/walk.ts";
import { type Config, hostDirs } from "../config.ts";
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
/** Shell tools whose `tool_input.command` is a command line (Claude Code: Bash; Gemini CLI: run_shell_command). */
const SHELL_TOOLS = new Set(["Bash", "run_shell_command"]);

/**
 * The edit a hook's stdin JSON describes (`tool_input.file_path` …, or a
 * shell tool's `tool_input.command`; `cwd`), or null when it names no file
 * written (then the guard allows). Input shape: Claude Code hooks reference,
 * PreToolUse `{session_id, cwd, hook_event_name, tool_name, tool_input}`;
 * Gemini CLI's BeforeTool is alike.
 */
export function editIntent(input: string, fallbackCwd: string): EditIntent | null {
  let parsed: { cwd?: unknown; tool_name?: unknown; tool_input?: Record<string, unknown> };
  try {
    parsed = JSON.parse(input);
  } catch {
    return null;
  }
  if (typeof parsed !== "object" || parsed === null) return null;
  const cwd = typeof parsed.cwd === "string" && parsed.cwd.startsWith("/") ? parsed.cwd : fallbackCwd;
  const toolInput = typeof parsed.tool_input === "object" && parsed.tool_input !== null ? parsed.tool_input : {};
  const files = FILE_KEYS.flatMap((k) => (typeof toolInput[k] === "string" && toolInput[k] !== "" ? [toolInput[k] as string] : []));
  if (typeof parsed.tool_name === "string" && SHELL_TOOLS.has(parsed.tool_name) && typeof toolInput.command === "string") {
    files.push(...shellWrites(toolInput.command, cwd, hostDirs().home));
  }
  if (files.length === 0) return null;
  return { cwd, files };
}

/** A file another name holds exclusively, and that claim; `via` is the path edited when it is another name (a hard link) of `file`. */
export interface Blocked {
  file: string;
  claim: ClaimInfo;
  via?: string;
}

/** True when `path` is `dir` or inside it. */
function within(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/** `abs` relative to `root`, `/`-separated, or null when outside it (or the root itself). */
function relIn(root: string, abs: string): string | null {
  if (!within(abs, root) || abs === root) return null;
  return relative(root, abs).split(sep).join("/");
}

/** Most files looked at per claim when matching a hard link by inode. */
const MAX_INODE_SCAN = 20_000;

/** The files of `claim` under `root` (absolute), bounded by MAX_INODE_SCAN. */
function claimedFiles(root: string, claim: string): string[] {
  try {
    const glob = isGlob(claim);
    const base = glob ? root : join(root, claim);
    if (!glob && !statSync(base).isDirectory()) return [base];
    return boundedGlob(base, glob ? claim : "**", MAX_INODE_SCAN).map((f) => join(base, f));
  } catch {
    return []; // gone or unreadable: nothing to match
  }
}

/**
 * The files of `intent` held exclusively by a name other than the one this
 * process acts as (resolveIdentity; nobody when none). Each file's project is
 * found from the file: its git root's id, or a claimed project folder (a
 * project without git) that holds it. A file with several hard links is also
 * matched by (device, inode) against the claimed files of the projects found
 * here (the file's, the working folder's, claimed project folders). Empty
 * when no broker answers or nothing is claimed.
 */
export async function blockedFiles(config: Config, intent: EditIntent): Promise<Blocked[]> {
  const files = [...new Set(intent.files.map((f) => realish(isAbsolute(f) ? f : resolve(intent.cwd, f))))];
  if (files.length === 0) return [];
  const me = whoAmI(config);
  const claims = (await allClaims(config)).filter((c) => !c.shared && c.holder !== me);
  if (claims.length === 0) return [];
  const ids = new Map<string, string>(); // git root → project id
  const idOf = (root: string) => ids.get(root) ?? (ids.set(root, projectId(root)), ids.get(root)!);
  /** The roots a claim of `project` may live at: path projects are their own root; git ids at roots seen here. */
  const rootsOf = (project: string, seen: readonly string[]) => (project.startsWith("/") ? [project] : seen.filter((r) => idOf(r) === project));
  const cwdRoot = gitRoot(intent.cwd);
  const blocked: Blocked[] = [];
  for (const abs of files) {
    const own = gitRoot(dirname(abs));
    const seen = [own, cwdRoot].filter((r): r is string => r !== null);
    let hit: Blocked | undefined;
    for (const c of claims) {
      for (const root of rootsOf(c.project, seen)) {
        const rel = relIn(root, abs);
        if (rel !== null && covers(c.path, rel)) hit = { file: rel, claim: c };
      }
      if (hit !== undefined) break;
    }
    if (hit === undefined) hit = byInode(abs, claims, (p) => rootsOf(p, seen));
    if (hit !== undefined) blocked.push(hit);
  }
  return blocked;
}

/** When `abs` has other hard links: the claim (of `claims`, located by `rootsOf`) of a file with its (device, inode). */
function byInode(abs: string, claims: readonly ClaimInfo[], rootsOf: (project: string) => string[]): Blocked | undefined {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(abs);
  } catch {
    return undefined;
  }
  if (!st.isFile() || st.nlink < 2) return undefined;
  for (const c of claims) {
    for (const root of rootsOf(c.project)) {
      for (const f of claimedFiles(root, c.path)) {
        try {
          const o = lstatSync(f);
          if (o.ino === st.ino && o.dev === st.dev) return { file: relIn(root, f) ?? f, claim: c, via: abs };
        } catch {
          // gone meanwhile
        }
      }
    }
  }
  return undefined;
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

/** The live claims of every project; none when no broker answers in GUARD_TIMEOUT_MS or it refuses. */
async function allClaims(config: Config): Promise<ClaimInfo[]> {
  const { Agent } = await import("../client/agent.ts");
  const agent = new Agent({ ...config, name: null }, { spawn: false, persist: false, lastName: false });
  try {
    return (await agent.call("claims", {}, GUARD_TIMEOUT_MS)).claims;
  } catch {
    return [];
  } finally {
    agent.close();
  }
}

/**
 * Why an edit is refused, for the model: who holds each file, until when, and
 * what to do. The holder's reason comes last, framed like mail: marked as
 * another agent's words, quoted as data, short (quotedReason).
 */
export function denialReason(blocked: readonly Blocked[]): string {
  const lines = blocked.map(({ file, claim: c, via }) => {
    const viaClaim = c.path === file ? "" : ` via its claim on ${c.path}`;
    const link = via === undefined ? "" : ` (${via}, which you are editing, is a hard link to it)`;
    return `${file} is claimed by ${c.holder}${viaClaim} until ${c.expires_at}${link}.`;
  });
  const notes = blocked.flatMap(({ claim: c }) => (c.reason === null ? [] : [`${reasonNote(c.holder, c.reason)}.`]));
  const holders = [...new Set(blocked.map((b) => b.claim.holder))];
  return (
    `ipc file claim: ${lines.join(" ")} Do not edit it now. Message ${holders.join(", ")} (ipc send ${holders[0]} "…" or the MCP send tool) ` +
    `to ask for it or hand over your change, and work on something else until they release it (ipc claims shows who holds what).` +
    (notes.length === 0 ? "" : ` ${[...new Set(notes)].join(" ")}`)
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
