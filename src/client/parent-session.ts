/**
 * Who a helper process (the Claude Code hook, `ipc auto-check`) acts as when
 * no --as / IPC_NAME is given: the name the host's MCP server registered.
 * `ipc mcp` records its session in `$IPC_HOME/mcp-parents/<host pid>.json`
 * (`{name, token}`); a hook runs as a child (or grandchild, through a shell)
 * of that same host, so its parent chain leads there (past npm/npx wrappers:
 * see host-process.ts).
 */
import { existsSync } from "node:fs";
import { type Config, paths } from "../config.ts";
import { loadParentSession } from "../home/mcp-parents.ts";
import { boundServer } from "../home/mcp-servers.ts";
import { hostPid, parentPid } from "./host-process.ts";
import { normalizeName } from "../protocol/names.ts";
import { EXIT, IpcError } from "../protocol/errors.ts";
import { loadSession, savedNames, shellName } from "./session-store.ts";

/** A session recorded by `ipc mcp` (src/home/mcp-parents.ts) for the host process `pid`. */
export interface ParentSession {
  name: string;
  token: string;
  pid: number;
}

function readParent(config: Pick<Config, "home">, pid: number): ParentSession | null {
  const s = loadParentSession(config, pid);
  const name = s === null ? null : normalizeName(s.name);
  return s === null || name === null ? null : { name, token: s.token, pid };
}

/**
 * The MCP session recorded for this process's parent or grandparent, or null. In a Codex
 * thread (`codexThread`) whose MCP server is bound to it (src/home/mcp-servers.ts) and a child
 * of that same host, that server's session: under Codex's shared background server every
 * session's server is a child of one process, whose own record is the last server to start.
 */
export function parentMcpSession(config: Pick<Config, "home" | "codexThread">): ParentSession | null {
  if (!existsSync(paths.mcpParents(config))) return null; // no MCP server ever ran here: skip the process lookups
  const host = hostPid();
  const own = config.codexThread ? threadSession(config, config.codexThread, host) : null;
  if (own !== null) return own;
  const found = readParent(config, host);
  if (found !== null) return found;
  // A hook run through a shell the host started: the shell's parent is the host.
  const above = parentPid(host);
  return above === null ? null : readParent(config, above);
}

/** The session of the `ipc mcp` bound to Codex thread `thread`, when its host is `host` or the process above it; else null. */
function threadSession(config: Pick<Config, "home">, thread: string, host: number): ParentSession | null {
  const r = boundServer(config, thread);
  if (r === null || (r.host !== host && r.host !== parentPid(host))) return null;
  const name = normalizeName(r.name);
  return name === null ? null : { name, token: r.token, pid: r.host };
}

/** Who to act as, where that came from, and that reason in words; `token` is known only for an MCP session. */
export interface Identity {
  name: string;
  token: string | null;
  source: "flag" | "mcp" | "shell" | "only";
  why: string;
}

/**
 * Who a command acts as (docs/identity.md), never guessing: --as / IPC_NAME,
 * else the MCP session of the host in the parent chain, else the name last
 * registered from this shell, else the only name with a saved session; null
 * when there is none.
 * @throws IpcError (exit 2) listing the candidates when several names have saved sessions and nothing picks one.
 */
export function resolveIdentity(config: Config): Identity | null {
  if (config.name !== null) return { name: normalizeName(config.name) ?? config.name, token: null, source: "flag", why: "set by --as or IPC_NAME" };
  const mcp = parentMcpSession(config);
  if (mcp !== null) return { name: mcp.name, token: mcp.token, source: "mcp", why: `the name the MCP server of your host (pid ${mcp.pid}) registered` };
  const shell = shellName(config);
  if (shell !== null) return { name: shell, token: null, source: "shell", why: `the name last registered from this shell (pid ${hostPid()})` };
  const saved = savedNames(config);
  if (saved.length === 1) return { name: saved[0]!, token: null, source: "only", why: `the only name with a saved session in ${paths.sessions(config)}` };
  if (saved.length === 0) return null;
  const shown = saved.length > 20 ? `${saved.slice(0, 20).join(", ")}, … (${saved.length} in all)` : saved.join(", ");
  throw new IpcError(
    "BAD_REQUEST",
    `which name should this act as? Several have sessions here: ${shown}. Pass --as NAME, set IPC_NAME, or run \`ipc register NAME\` in this shell`,
    EXIT.usage,
  );
}

/**
 * Who a hook that takes mail acts as, with its token: --as/IPC_NAME with the
 * session saved for it (by the host's MCP server or `ipc register`), else the
 * host's MCP session; null when neither is known. Unlike resolveIdentity it
 * never falls back to the last registered name: a hook must not take mail
 * meant for another agent.
 */
export function hookIdentity(config: Config): { name: string; token: string } | null {
  const mcp = parentMcpSession(config);
  if (config.name === null) return mcp === null ? null : { name: mcp.name, token: mcp.token };
  const name = normalizeName(config.name);
  if (name === null) return null;
  if (mcp?.name === name) return { name, token: mcp.token };
  const saved = loadSession(config, name);
  return saved === null ? null : { name, token: saved.token };
}
