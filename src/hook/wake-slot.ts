/**
 * The one wake waiter of a host session: `$IPC_HOME/wake/<host pid>.json`
 * (0600) names the waiter holding it and keeps the session's recent wakes for
 * the wake budget. A newer waiter writes its pid there; the older one sees
 * that through fs.watch (no polling) and ends.
 */
import { type FSWatcher, mkdirSync, readFileSync, readdirSync, rmSync, watch } from "node:fs";
import { join } from "node:path";
import { isAlive } from "../broker/edge/lock.ts";
import { writePrivate } from "../client/session-store.ts";
import { type Config, paths } from "../config.ts";

/** The window of the wake budget (ms): at most a set number of wakes of one session in it. */
export const WAKE_WINDOW_MS = 10 * 60_000;

/** The slot file's content: the waiter holding it (null once it delivered), and when the session was woken (ms since the epoch). */
interface SlotFile {
  pid: number | null;
  host_pid: number;
  since: string;
  wakes: number[];
}

function readSlot(file: string): Partial<SlotFile> | null {
  try {
    const v = JSON.parse(readFileSync(file, "utf8")) as unknown;
    return typeof v === "object" && v !== null ? (v as Partial<SlotFile>) : null;
  } catch {
    return null;
  }
}

/** Deletes the slot files of host processes that no longer run. */
function pruneSlots(dir: string): void {
  for (const f of readdirSync(dir)) {
    const pid = Number(f.replace(/\.json$/, ""));
    if (Number.isSafeInteger(pid) && pid > 1 && !isAlive(pid)) rmSync(join(dir, f), { force: true });
  }
}

/**
 * Makes this process the one waiter of host process `hostPid`: its pid goes
 * into `$IPC_HOME/wake/<hostPid>.json` (with the session's recent wakes, carried
 * over from the waiter before); when another waiter writes its own pid there,
 * `onSuperseded` runs (watched with fs.watch, not polled).
 */
export function claimSlot(config: Config, hostPid: number, onSuperseded: () => void) {
  const dir = paths.wake(config);
  const file = join(dir, `${hostPid}.json`);
  const mine = () => readSlot(file)?.pid === process.pid;
  let wakes: number[] = [];
  let watcher: FSWatcher | null = null;
  const write = (pid: number | null) => writePrivate(file, JSON.stringify({ pid, host_pid: hostPid, since: new Date().toISOString(), wakes } satisfies SlotFile));
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    pruneSlots(dir);
    const before = readSlot(file)?.wakes;
    wakes = Array.isArray(before) ? before.filter((t): t is number => typeof t === "number" && t > Date.now() - WAKE_WINDOW_MS) : [];
    write(process.pid);
    watcher = watch(dir, (_event, name) => {
      if (name === null || name === `${hostPid}.json`) if (!mine()) onSuperseded();
    });
  } catch {
    // Without the slot file several waiters may coexist; each still delivers a message at most once.
  }
  return {
    /** When the next wake is allowed with at most `max` per window (ms since the epoch). */
    nextWakeAt(max: number): number {
      const recent = wakes.filter((t) => t > Date.now() - WAKE_WINDOW_MS).sort((a, b) => a - b);
      return recent.length < max ? 0 : recent[recent.length - max]! + WAKE_WINDOW_MS;
    },
    /** Notes a wake, kept in the slot for the next waiter of the session. */
    recordWake(): void {
      wakes.push(Date.now());
    },
    release(): void {
      watcher?.close();
      if (!mine()) return;
      // After a wake the record stays (no waiter holds it) so that the next waiter counts it.
      if (wakes.length > 0) write(null);
      else rmSync(file, { force: true });
    },
  };
}
