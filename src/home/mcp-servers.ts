/**
 * Which `ipc mcp` serves which host thread, for hosts that run the MCP
 * servers of several sessions as children of one process: Codex 0.171's
 * shared background server (`codex app-server --managed-daemon`,
 * `features.daemon_auto_start`, on by default) starts one MCP server per
 * thread, all children of the daemon, so the per-host-process record
 * (mcp-parents.ts) cannot tell its sessions apart. Two records fix that:
 *
 * - `$IPC_HOME/mcp-parents/servers/<mcp pid>.json` (0600): each `ipc mcp`'s
 *   session, its host process and its working folder (Codex starts a
 *   thread's MCP server in the thread's folder);
 * - `$IPC_HOME/mcp-parents/threads/<thread id>.json` (0600): `{pid}`, the
 *   `ipc mcp` of that thread. Written by the server itself when a tool call
 *   names its thread (Codex 0.171 sends `_meta.threadId` with every
 *   `tools/call`), and by the thread's SessionStart hook, which binds the
 *   newest server of its host in its folder that no other thread holds (a
 *   thread's MCP server starts before its SessionStart hook runs).
 */
import { readFileSync, readdirSync, realpathSync, rmSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { processArgs } from "../client/host-process.ts";
import { type Config, paths } from "../config.ts";
import { isAlive, writePrivate } from "./files.ts";

/** One `ipc mcp`'s session, as it records it. */
export const ServerRecord = v.object({
  pid: v.number(),
  /** The host process that started it. */
  host: v.number(),
  /** Its working folder (the real path). */
  cwd: v.string(),
  name: v.string(),
  token: v.string(),
  /** When it started (ms since the epoch): the newest unbound one is a new thread's. */
  started: v.number(),
});
export type ServerRecord = v.InferOutput<typeof ServerRecord>;

const ThreadRecord = v.object({ pid: v.number() });

/** A thread id as hosts give it (a UUID); anything else is refused (it becomes a file name). */
const THREAD_ID = /^[0-9A-Za-z][0-9A-Za-z_-]{0,127}$/;

const serversDir = (config: Pick<Config, "home">) => join(paths.mcpParents(config), "servers");
const threadsDir = (config: Pick<Config, "home">) => join(paths.mcpParents(config), "threads");

function readJson<T>(file: string, schema: v.GenericSchema<unknown, T>): T | null {
  try {
    const r = v.safeParse(schema, JSON.parse(readFileSync(file, "utf8")));
    return r.success ? r.output : null;
  } catch {
    return null;
  }
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith(".json"));
  } catch {
    return [];
  }
}

/** `dir` as a real path (symlinks resolved), or as given when it cannot be resolved. */
export function realDir(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
}

/**
 * True when host process `pid` runs the sessions of several clients: Codex's app-server
 * (`codex app-server …`, its shared background server). Its MCP servers are then each
 * their own session's seat.
 */
export function sharedHost(pid: number): boolean {
  const args = processArgs(pid);
  return args.length > 1 && /codex/.test(args[0] ?? "") && args.includes("app-server");
}

/** Records this `ipc mcp`'s session (mode 0600, atomically). */
export function saveServerRecord(config: Pick<Config, "home">, r: ServerRecord): void {
  writePrivate(join(serversDir(config), `${r.pid}.json`), JSON.stringify(r));
}

/** The record of `ipc mcp` process `pid` while it runs, else null. */
export function loadServerRecord(config: Pick<Config, "home">, pid: number): ServerRecord | null {
  const r = readJson(join(serversDir(config), `${pid}.json`), ServerRecord);
  return r !== null && r.pid === pid && isAlive(pid) ? r : null;
}

/** Binds host thread `thread` to `ipc mcp` process `pid` (no-op for an id that is not a thread id). */
export function bindThread(config: Pick<Config, "home">, thread: string, pid: number): void {
  if (!THREAD_ID.test(thread)) return;
  const file = join(threadsDir(config), `${thread}.json`);
  if (readJson(file, ThreadRecord)?.pid === pid) return;
  writePrivate(file, JSON.stringify({ pid }));
}

/** Deletes the records of servers that no longer run and the bindings that point at them. */
export function pruneServerRecords(config: Pick<Config, "home">): void {
  for (const f of list(serversDir(config))) {
    const pid = Number(f.slice(0, -5));
    if (Number.isSafeInteger(pid) && pid > 1 && !isAlive(pid)) rmSync(join(serversDir(config), f), { force: true });
  }
  for (const f of list(threadsDir(config))) {
    const pid = readJson(join(threadsDir(config), f), ThreadRecord)?.pid;
    if (pid === undefined || !isAlive(pid)) rmSync(join(threadsDir(config), f), { force: true });
  }
}

/** The running `ipc mcp` bound to host thread `thread`, or null (none bound, or it stopped); never guesses or binds. */
export function boundServer(config: Pick<Config, "home">, thread: string): ServerRecord | null {
  if (!THREAD_ID.test(thread)) return null;
  const bound = readJson(join(threadsDir(config), `${thread}.json`), ThreadRecord);
  return bound === null ? null : loadServerRecord(config, bound.pid);
}

/**
 * The `ipc mcp` serving host thread `thread`: the one bound to it, else
 * (binding it) the newest running server of host process `host` in folder
 * `cwd` that no other thread holds; null when there is none.
 */
export function threadServer(config: Pick<Config, "home">, thread: string, host: number, cwd: string): ServerRecord | null {
  if (!THREAD_ID.test(thread)) return null;
  const bound = boundServer(config, thread);
  if (bound !== null) return bound;
  const held = new Set<number>();
  for (const f of list(threadsDir(config))) {
    if (f === `${thread}.json`) continue;
    const pid = readJson(join(threadsDir(config), f), ThreadRecord)?.pid;
    if (pid !== undefined) held.add(pid);
  }
  const folder = realDir(cwd);
  const pick = list(serversDir(config))
    .map((f) => loadServerRecord(config, Number(f.slice(0, -5))))
    .filter((r): r is ServerRecord => r !== null && r.host === host && r.cwd === folder && !held.has(r.pid))
    .sort((a, b) => b.started - a.started)[0];
  if (pick === undefined) return null;
  try {
    bindThread(config, thread, pick.pid);
  } catch {
    // unbound, it is still the best guess; the server binds itself at its first tool call
  }
  return pick;
}
