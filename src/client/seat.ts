/**
 * Who this client is as a seat (docs/identity.md): the host process it runs
 * under (past npm/npx/shell wrappers, see host-process.ts) and what kind of
 * host that is, sent with `register` / `auth` so the broker can tell a
 * restarted agent (same host process) from a second live session; and the
 * default name of a seat, `<host>-<project>`.
 */
import { existsSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import type { Seat } from "../protocol/requests.ts";
import { normalizeName } from "../protocol/names.ts";
import { hostPid, processArgs } from "./host-process.ts";

/** `text` reduced to what a seat's host kind may hold (1–64 of `[\w.@+-]`), or `fallback`. */
export function seatHost(text: string, fallback = "unknown"): string {
  const clean = text.replace(/[^\w.@+-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 64);
  return clean === "" ? fallback : clean;
}

/** This process's seat: host kind `host` and the host process's pid. */
export function seatOf(host: string, pid: number = hostPid()): Seat {
  return pid > 1 ? { host: seatHost(host), pid } : { host: seatHost(host) };
}

/** The command name of process `pid` (e.g. "claude", "codex", "bash"), or `fallback` when unknown. */
export function hostKindOf(pid: number, fallback: string): string {
  const first = processArgs(pid)[0];
  return first === undefined ? fallback : seatHost(basename(first), fallback);
}

/** The project of `cwd`: the folder name of its git root (the nearest folder up holding `.git`), else of `cwd` itself. */
export function projectOf(cwd: string): string {
  let dir = resolve(cwd);
  for (let depth = 0; depth < 64; depth++) {
    if (existsSync(resolve(dir, ".git"))) return basename(dir);
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return basename(resolve(cwd));
}

/** `text` as a name: lower-case, runs of other characters as "-", at most 32 characters; null when nothing is left. */
export function asName(text: string): string | null {
  const cleaned = text.toLowerCase().replace(/[^a-z0-9_-]+/g, "-").replace(/-{2,}/g, "-").replace(/^-+/, "").slice(0, 32).replace(/-+$/, "");
  return cleaned === "" ? null : normalizeName(cleaned);
}

/**
 * The default name of seat template `seat` in folder `cwd`: `<seat>-<project>`,
 * e.g. "claude-webapp" (the project part is cut so the whole fits 32
 * characters and leaves room for a `-2` suffix); the seat alone when the
 * folder has no usable name (e.g. "/").
 */
export function defaultName(seat: string, cwd: string): string {
  const prefix = asName(seat) ?? "agent";
  const project = asName(projectOf(cwd));
  if (project === null || project === prefix) return prefix;
  return asName(`${prefix}-${project}`.slice(0, 29)) ?? prefix;
}
