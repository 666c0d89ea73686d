/**
 * Auto-check ("start auto checking 5"): per IPC_HOME and name, whether new
 * mail should be fetched for an agent on its own every N minutes. The state
 * lives in `$IPC_HOME/auto-check/<name>.json` (0600); the Claude Code hook
 * (`ipc hook claude-code`) reads it on every prompt and tool call, so reading
 * it is kept to one small file read.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Config, paths } from "../config.ts";
import { writePrivate } from "../home/files.ts";
import { EXIT, IpcError } from "../protocol/errors.ts";
import { normalizeName } from "../protocol/names.ts";

/** Allowed intervals (minutes). */
export const MIN_MINUTES = 1;
export const MAX_MINUTES = 60;
/** Interval when none is given (minutes). */
export const DEFAULT_MINUTES = 5;

/** What auto-check status reports; times are ISO-8601 UTC. */
export interface AutoCheckStatus {
  name: string;
  enabled: boolean;
  interval_minutes: number | null;
  last_check: string | null;
  next_check: string | null;
}

/** The file's content (times ISO-8601 UTC). */
interface Stored {
  name: string;
  enabled: boolean;
  interval_minutes: number;
  last_check: string | null;
  next_check: string;
}

/** Directory of the state files. */
export function autoCheckDir(config: Pick<Config, "home">): string {
  return paths.autoCheck(config);
}

/** The lower-case file stem of `name`; refuses anything that is not a valid name (no paths). */
function stem(name: string): string {
  const n = normalizeName(name);
  if (n === null) throw new IpcError("INVALID_NAME", `"${name}" is not a valid name: 1–32 characters of letters, digits, '-' and '_'`);
  return n;
}

function file(config: Pick<Config, "home">, name: string): string {
  return join(autoCheckDir(config), `${stem(name)}.json`);
}

/** The stored state of `name`, or null when there is none (or it is unreadable). */
function load(config: Pick<Config, "home">, name: string): Stored | null {
  try {
    const s = JSON.parse(readFileSync(file(config, name), "utf8")) as Partial<Stored>;
    if (typeof s.enabled !== "boolean" || typeof s.interval_minutes !== "number" || typeof s.next_check !== "string") return null;
    const last = typeof s.last_check === "string" ? s.last_check : null;
    return { name: stem(name), enabled: s.enabled, interval_minutes: s.interval_minutes, last_check: last, next_check: s.next_check };
  } catch {
    return null;
  }
}

function save(config: Pick<Config, "home">, s: Stored): void {
  writePrivate(file(config, s.name), `${JSON.stringify(s)}\n`);
}

function statusOf(name: string, s: Stored | null): AutoCheckStatus {
  if (s === null || !s.enabled) {
    return { name: stem(name), enabled: false, interval_minutes: null, last_check: s?.last_check ?? null, next_check: null };
  }
  return { name: s.name, enabled: true, interval_minutes: s.interval_minutes, last_check: s.last_check, next_check: s.next_check };
}

/**
 * Turns auto-check on for `name` every `minutes` minutes (a whole number from 1 to 60);
 * the first check is due at once.
 * @throws IpcError BAD_REQUEST (exit code 2) for a bad interval, INVALID_NAME.
 */
export function startAutoCheck(config: Config, name: string, minutes: number): AutoCheckStatus {
  if (!Number.isInteger(minutes) || minutes < MIN_MINUTES || minutes > MAX_MINUTES) {
    throw new IpcError("BAD_REQUEST", `auto-check takes a whole number of minutes from ${MIN_MINUTES} to ${MAX_MINUTES}, got ${minutes}`, EXIT.usage);
  }
  const previous = load(config, name);
  const now = new Date().toISOString();
  const s: Stored = { name: stem(name), enabled: true, interval_minutes: minutes, last_check: previous?.last_check ?? null, next_check: now };
  save(config, s);
  return statusOf(name, s);
}

/**
 * Turns auto-check off for `name` (harmless when it was off).
 * @throws IpcError INVALID_NAME.
 */
export function stopAutoCheck(config: Config, name: string): AutoCheckStatus {
  const s = load(config, name);
  if (s !== null && s.enabled) save(config, { ...s, enabled: false });
  return statusOf(name, s === null ? null : { ...s, enabled: false });
}

/**
 * Whether auto-check is on for `name`, its interval, and the last and next check.
 * @throws IpcError INVALID_NAME.
 */
export function autoCheckStatus(config: Config, name: string): AutoCheckStatus {
  return statusOf(name, load(config, name));
}

/** True when auto-check is on for `name` and its next check is due at `now`. Never throws. */
export function dueForCheck(config: Pick<Config, "home">, name: string, now: Date = new Date()): boolean {
  if (normalizeName(name) === null) return false;
  const s = load(config, name);
  return s !== null && s.enabled && !(now.getTime() < Date.parse(s.next_check));
}

/**
 * Records a check of `name`'s mail at `now`, which starts the next interval.
 * Does nothing when auto-check is off. Never throws.
 */
export function markChecked(config: Pick<Config, "home">, name: string, now: Date = new Date()): void {
  try {
    const s = load(config, name);
    if (s === null || !s.enabled) return;
    const next = new Date(now.getTime() + s.interval_minutes * 60_000);
    save(config, { ...s, last_check: now.toISOString(), next_check: next.toISOString() });
  } catch {
    // Best effort: a state file that cannot be written only means an earlier next check.
  }
}
