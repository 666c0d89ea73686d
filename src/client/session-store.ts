/**
 * Sessions kept on disk for the CLI and the MCP server (docs/design.md#9-identity-and-sessions):
 * `$IPC_HOME/sessions/<name>.json` (0600) holds a name's token; `.last-<pid>`
 * names the last name registered from the shell (host process) `pid`, which
 * commands from that shell act as when no --as / IPC_NAME is given
 * (docs/identity.md); `.last` the last registered from anywhere (kept for
 * older versions of ipc); `.renamed` what names renamed away from here became.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { type Config, paths } from "../config.ts";
import { isAlive, writePrivate } from "../home/files.ts";
import { assertOwnHome } from "../home/owner.ts";
import { IpcError } from "../protocol/errors.ts";
import { normalizeName } from "../protocol/names.ts";
import { hostPid } from "./host-process.ts";

export { writePrivate };

/** A saved session. */
export const SavedSession = v.object({ name: v.string(), token: v.string(), saved_at: v.string() });
export type SavedSession = v.InferOutput<typeof SavedSession>;

const LAST = ".last";
/** Names renamed away from this IPC_HOME: `{old: new}`, so an old IPC_NAME is told what became of it. */
const RENAMED = ".renamed";
/** Renames remembered (the oldest are forgotten first). */
const MAX_RENAMED = 64;

function renames(config: Config): Record<string, string> {
  try {
    const map = JSON.parse(readFileSync(join(paths.sessions(config), RENAMED), "utf8")) as unknown;
    return typeof map === "object" && map !== null && !Array.isArray(map) ? (map as Record<string, string>) : {};
  } catch {
    return {};
  }
}

function saveRenames(config: Config, map: Record<string, string>): void {
  const entries = Object.entries(map).slice(-MAX_RENAMED);
  writePrivate(join(dir(config), RENAMED), JSON.stringify(Object.fromEntries(entries)));
}

/** Remembers that `oldName` became `newName` (and forgets its session). */
export function recordRename(config: Config, oldName: string, newName: string): void {
  forgetSession(config, oldName);
  const map = renames(config);
  delete map[oldName];
  map[oldName] = newName;
  delete map[newName];
  saveRenames(config, map);
}

/** What `name` was renamed to from this IPC_HOME, or null. */
export function renamedTo(config: Config, name: string): string | null {
  const to = renames(config)[name];
  return typeof to === "string" && normalizeName(to) === to ? to : null;
}


function dir(config: Config): string {
  assertOwnHome(config.home);
  const d = paths.sessions(config);
  mkdirSync(d, { recursive: true, mode: 0o700 });
  return d;
}

/** The saved session of `name`, or null. */
export function loadSession(config: Config, name: string): SavedSession | null {
  if (normalizeName(name) !== name) return null;
  try {
    const r = v.safeParse(SavedSession, JSON.parse(readFileSync(join(paths.sessions(config), `${name}.json`), "utf8")));
    return r.success ? r.output : null;
  } catch {
    return null;
  }
}

const SHELL_PREFIX = ".last-";

/**
 * Saves `name`'s token and makes it the last registered name, of this shell
 * (host process `shell`) and overall. Forgets the last names of shells that ended.
 * @throws IpcError when `name` is not a valid name (it becomes a file name: never trust it unchecked).
 */
export function saveSession(config: Config, name: string, token: string, shell: number = hostPid()): void {
  if (normalizeName(name) !== name) throw new IpcError("INTERNAL", `the broker answered with an invalid name ${JSON.stringify(name)}; not saving it`);
  const d = dir(config);
  writePrivate(join(d, `${name}.json`), JSON.stringify({ name, token, saved_at: new Date().toISOString() }));
  writePrivate(join(d, LAST), name);
  if (shell > 1) writePrivate(join(d, `${SHELL_PREFIX}${shell}`), name);
  const map = renames(config);
  if (name in map) {
    delete map[name]; // registered again: it is a name of its own once more
    saveRenames(config, map);
  }
  for (const f of readdirSync(d)) {
    const pid = f.startsWith(SHELL_PREFIX) ? Number(f.slice(SHELL_PREFIX.length)) : 0;
    if (Number.isSafeInteger(pid) && pid > 1 && pid !== shell && !isAlive(pid)) rmSync(join(d, f), { force: true });
  }
}

/** The name last registered from the shell (host process) `shell`, while its session is saved; null when none. */
export function shellName(config: Config, shell: number = hostPid()): string | null {
  try {
    const n = readFileSync(join(paths.sessions(config), `${SHELL_PREFIX}${shell}`), "utf8").trim();
    return normalizeName(n) === n && loadSession(config, n) !== null ? n : null;
  } catch {
    return null;
  }
}

/** Every name with a saved session here, sorted. */
export function savedNames(config: Config): string[] {
  let files: string[];
  try {
    files = readdirSync(paths.sessions(config));
  } catch {
    return [];
  }
  return files.flatMap((f) => (f.endsWith(".json") && normalizeName(f.slice(0, -5)) === f.slice(0, -5) ? [f.slice(0, -5)] : [])).sort();
}

/** Who a command acts as without --as / IPC_NAME, never guessing: this shell's last name, else the only saved one; null otherwise. */
export function cliName(config: Config): string | null {
  const shell = shellName(config);
  if (shell !== null) return shell;
  const saved = savedNames(config);
  return saved.length === 1 ? saved[0]! : null;
}

/** Forgets `name`'s session (after a rename, or when it is no longer valid). */
export function forgetSession(config: Config, name: string): void {
  rmSync(join(paths.sessions(config), `${name}.json`), { force: true });
}

/** The last registered name, or null. */
export function lastName(config: Config): string | null {
  try {
    const n = readFileSync(join(paths.sessions(config), LAST), "utf8").trim();
    return n === "" ? null : n;
  } catch {
    return null;
  }
}
