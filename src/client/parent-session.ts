/**
 * Who a helper process (the Claude Code hook, `ipc auto-check`) acts as when
 * no --as / IPC_NAME is given: the name the host's MCP server registered.
 * `ipc mcp` records its session in `$IPC_HOME/mcp-parents/<host pid>.json`
 * (`{name, token}`); a hook runs as a child (or grandchild, through a shell)
 * of that same host, so its parent chain leads there (past npm/npx wrappers:
 * see host-process.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import { hostPid, parentPid } from "./host-process.ts";
import { join } from "node:path";
import type { Config } from "../config.ts";
import { normalizeName } from "../protocol/names.ts";
import { lastName, loadSession } from "./session-store.ts";

/**
 * Where `ipc mcp` records the session it holds for the host process `pid`. The layout is
 * src/mcp/identity.ts's (parentSessionPath); it is read here without loading the MCP code.
 */
function mcpParentPath(config: Pick<Config, "home">, pid: number): string {
  return join(config.home, "mcp-parents", `${pid}.json`);
}

/** A session recorded by `ipc mcp`. */
export interface ParentSession {
  name: string;
  token: string;
}

function readParent(config: Pick<Config, "home">, pid: number): ParentSession | null {
  try {
    const s = JSON.parse(readFileSync(mcpParentPath(config, pid), "utf8")) as Partial<ParentSession>;
    if (typeof s.name !== "string" || typeof s.token !== "string" || normalizeName(s.name) === null) return null;
    return { name: normalizeName(s.name)!, token: s.token };
  } catch {
    return null;
  }
}

/** The MCP session recorded for this process's parent or grandparent, or null. */
export function parentMcpSession(config: Pick<Config, "home">): ParentSession | null {
  if (!existsSync(join(config.home, "mcp-parents"))) return null; // no MCP server ever ran here: skip the process lookups
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
