/**
 * The record `ipc mcp` keeps per AI host process in
 * `$IPC_HOME/mcp-parents/<host pid>.json` (0600): the session it acts as, so
 * a respawned server resumes it (src/mcp/identity.ts) and a hook started by
 * the same host acts as the same name (src/client/parent-session.ts).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { type Config, paths } from "../config.ts";

/** The session one host process's MCP server acts as. `as` is the configured IPC_NAME, if any. */
export const ParentSession = v.object({
  name: v.string(),
  token: v.string(),
  as: v.optional(v.nullable(v.string()), null),
  /** The seat template (IPC_SEAT) it was started with, if any (docs/identity.md). */
  seat: v.optional(v.nullable(v.string()), null),
  saved_at: v.optional(v.string()),
  /** The `ipc mcp` process that saved it: while it runs, another server of the same host is a sibling, not its respawn. */
  pid: v.optional(v.number()),
});
export type ParentSession = v.InferOutput<typeof ParentSession>;

/** The folder of per-host-process sessions. */
export function parentSessionsDir(config: Pick<Config, "home">): string {
  return paths.mcpParents(config);
}

/** The session file of host process `ppid`. */
export function parentSessionPath(config: Pick<Config, "home">, ppid: number): string {
  return join(parentSessionsDir(config), `${ppid}.json`);
}

/** The saved session of host process `ppid`, or null (absent, unreadable or not this shape). */
export function loadParentSession(config: Pick<Config, "home">, ppid: number): ParentSession | null {
  try {
    const r = v.safeParse(ParentSession, JSON.parse(readFileSync(parentSessionPath(config, ppid), "utf8")));
    return r.success ? r.output : null;
  } catch {
    return null;
  }
}
