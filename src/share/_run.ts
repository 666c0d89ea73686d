/**
 * Running a command for share_command: Bun.spawn on an argv (never a shell),
 * stdin closed, in its own process group, stdout and stderr captured up to a
 * byte cap each (the rest is read, counted and dropped at once, so memory
 * stays bounded and the command never blocks on a full pipe). When it
 * outlives its timeout, or has exited, everything it started gets SIGKILL:
 * its process group and session, its descendants, and every process carrying
 * the run's mark in its environment (IPC_SHARE_RUN), which survives `setsid`
 * and reparenting (found by scanning /proc; no cgroups needed).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { childEnv } from "../config.ts";
import { IpcError } from "../protocol/errors.ts";
import { utf8Prefix } from "./_payload.ts";

/** One captured stream: its text (cut at a character boundary) and how many bytes were left out. */
export interface Captured {
  text: string;
  droppedBytes: number;
}

export interface RunOutcome {
  stdout: Captured;
  stderr: Captured;
  /** Exit code, or null when the process was killed by a signal. */
  returncode: number | null;
  signal: string | null;
  timedOut: boolean;
}

/** After the process exits or is killed, how long to keep reading output still held by its children (ms). */
const DRAIN_GRACE_MS = 500;

/** Resolves argv[0] like the system would, or throws a clear error. */
function executable(argv: string[]): string {
  const exe = argv[0];
  if (exe === undefined || exe.trim() === "") throw new IpcError("BAD_REQUEST", "no command given: put the command and its arguments after --", 2);
  const isPath = exe.includes("/") || (process.platform === "win32" && exe.includes("\\"));
  const found = isPath ? (existsSync(exe) ? exe : null) : Bun.which(exe);
  if (found === null) {
    throw new IpcError("NOT_FOUND", `command not found: ${exe} (no shell is used: give a program on PATH or a path to one)`);
  }
  return found;
}

/**
 * Reads `stream` to its end (or until `stop` settles, which cancels the reader), keeping
 * at most `max` bytes (+4 to cut back to a character boundary); later chunks are only counted.
 * No promise outlives one read, so no chunk is kept past its loop iteration.
 */
async function capture(stream: ReadableStream<Uint8Array>, max: number, stop: Promise<void>): Promise<Captured> {
  const reader = stream.getReader();
  // Cancelling ends a pending read with done: true; nothing here holds the chunks read.
  void stop.then(() => reader.cancel().catch(() => {}));
  const keep = max + 4;
  const head = new Uint8Array(keep);
  let kept = 0;
  let total = 0;
  for (;;) {
    let r: Awaited<ReturnType<typeof reader.read>>;
    try {
      r = await reader.read();
    } catch {
      break; // the stream errored or was cancelled
    }
    if (r.done) break;
    total += r.value.length;
    if (kept < keep) {
      const part = r.value.subarray(0, keep - kept);
      head.set(part, kept);
      kept += part.length;
    }
  }
  const bytes = utf8Prefix(head.subarray(0, kept), max);
  return { text: new TextDecoder().decode(bytes), droppedBytes: total - bytes.length };
}

/** Most rounds of scan-and-kill (a process may fork while we kill). */
const KILL_ROUNDS = 8;

/** Pids (other than this process) in group or session `leader`, descended from it, or whose environment holds `mark`. */
function runProcesses(leader: number, mark: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return []; // no /proc: the process group kill is all there is
  }
  const parent = new Map<number, number>();
  const found = new Set<number>();
  const needle = `\0${mark}\0`;
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      // pid (comm) state ppid pgrp session …; comm may hold spaces and parentheses.
      const [state, ppid, pgrp, session] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (state === "Z") continue;
      parent.set(pid, Number(ppid));
      if (Number(pgrp) === leader || Number(session) === leader) found.add(pid);
      else if (`\0${readFileSync(`/proc/${e}/environ`, "latin1")}`.includes(needle)) found.add(pid);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  for (const [pid] of parent) {
    // Descendants of the leader, walked up at most 64 levels.
    let at = parent.get(pid);
    for (let depth = 0; depth < 64 && at !== undefined && at > 1; depth++, at = parent.get(at)) {
      if (at === leader) found.add(pid);
    }
  }
  return [...found];
}

/** SIGKILL to the run led by `leader` (group, session, descendants, marked processes), until none is left or KILL_ROUNDS pass. */
function killRun(leader: number, mark: string): void {
  try {
    process.kill(-leader, "SIGKILL");
  } catch {
    // ESRCH: nothing left in the group
  }
  for (let round = 0; round < KILL_ROUNDS; round++) {
    const pids = runProcesses(leader, mark);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone already
      }
    }
  }
}

/**
 * Runs `argv` without a shell; `timeoutMs` bounds the run, `maxBytes` each captured stream.
 * @throws IpcError BAD_REQUEST (empty argv, cannot execute), NOT_FOUND (command not found).
 */
export async function runCaptured(argv: string[], timeoutMs: number, maxBytes: number): Promise<RunOutcome> {
  const exe = executable(argv);
  let proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  const mark = `IPC_SHARE_RUN=${crypto.randomUUID()}`;
  try {
    // detached: setsid(), so the command leads its own process group and a timeout can kill all of it;
    // the mark in its environment finds what it started in sessions of their own.
    const env = childEnv({ IPC_SHARE_RUN: mark.slice("IPC_SHARE_RUN=".length) });
    proc = Bun.spawn([exe, ...argv.slice(1)], { stdin: "ignore", stdout: "pipe", stderr: "pipe", detached: true, env });
  } catch (err) {
    throw new IpcError("BAD_REQUEST", `cannot run ${argv[0]}: ${(err as Error).message}`);
  }
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      timedOut = true;
      killRun(proc.pid, mark);
      resolve();
    }, timeoutMs);
  });
  // Once the process is gone (exited or killed), output still in the pipes is read for a moment;
  // a child it left behind that keeps the pipes open is not waited for: it is killed with its group.
  const stop = Promise.race([deadline, proc.exited])
    .then(() => Bun.sleep(DRAIN_GRACE_MS))
    .then(() => killRun(proc.pid, mark));
  try {
    const [stdout, stderr] = await Promise.all([capture(proc.stdout, maxBytes, stop), capture(proc.stderr, maxBytes, stop)]);
    await proc.exited;
    return { stdout, stderr, returncode: timedOut ? null : proc.exitCode, signal: proc.signalCode === null ? null : String(proc.signalCode), timedOut };
  } finally {
    clearTimeout(timer);
  }
}
