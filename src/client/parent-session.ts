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
import { hostPid, parentPid } from "./host-process.ts";
import { normalizeName } from "../protocol/names.ts";
import { lastName } from "./session-store.ts";

/** A session recorded by `ipc mcp` (src/home/mcp-parents.ts). */
export interface ParentSession {
  name: string;
  token: string;
}

function readParent(config: Pick<Config, "home">, pid: number): ParentSession | null {
  const s = loadParentSession(config, pid);
  const name = s === null ? null : normalizeName(s.name);
  return s === null || name === null ? null : { name, token: s.token };
}

/** The MCP session recorded for this process's parent or grandparent, or null. */
export function parentMcpSession(config: Pick<Config, "home">): ParentSession | null {
  if (!existsSync(paths.mcpParents(config))) return null; // no MCP server ever ran here: skip the process lookups
  const host = hostPid();
  const found = readParent(config, host);
  if (found !== null) return found;
  // A hook run through a shell the host started: the shell's parent is the host.
  const above = parentPid(host);
  return above === null ? null : readParent(config, above);
}

/** Who to act as, and where that came from; `token` is known only for an MCP session. */
export interface Identity {
  name: string;
  token: string | null;
  source: "flag" | "mcp" | "last";
}

/** --as / IPC_NAME, else the MCP session of the parent chain, else the last registered name; null when none. */
export function resolveIdentity(config: Config): Identity | null {
  if (config.name !== null) return { name: normalizeName(config.name) ?? config.name, token: null, source: "flag" };
  const mcp = parentMcpSession(config);
  if (mcp !== null) return { ...mcp, source: "mcp" };
  const last = lastName(config);
  return last === null ? null : { name: last, token: null, source: "last" };
}
