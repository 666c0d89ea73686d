/**
 * Running a command for share_command: Bun.spawn on an argv (never a shell),
 * stdin closed, in its own process group, stdout and stderr captured up to a
 * byte cap each (the rest is read, counted and dropped at once, so memory
 * stays bounded and the command never blocks on a full pipe). When it
 * outlives its timeout, its whole process group gets SIGKILL.
 */
import { existsSync } from "node:fs";
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

/** SIGKILL to every process in group `pgid` (the command and whatever it started); gone already is fine. */
function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    // ESRCH: nothing left in the group
  }
}

/**
 * Runs `argv` without a shell; `timeoutMs` bounds the run, `maxBytes` each captured stream.
 * @throws IpcError BAD_REQUEST (empty argv, cannot execute), NOT_FOUND (command not found).
 */
export async function runCaptured(argv: string[], timeoutMs: number, maxBytes: number): Promise<RunOutcome> {
  const exe = executable(argv);
  let proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  try {
    // detached: setsid(), so the command leads its own process group and a timeout can kill all of it.
    proc = Bun.spawn([exe, ...argv.slice(1)], { stdin: "ignore", stdout: "pipe", stderr: "pipe", detached: true });
  } catch (err) {
    throw new IpcError("BAD_REQUEST", `cannot run ${argv[0]}: ${(err as Error).message}`);
  }
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      timedOut = true;
      killGroup(proc.pid);
      resolve();
    }, timeoutMs);
  });
  // Once the process is gone (exited or killed), output still in the pipes is read for a moment;
  // a child it left behind that keeps the pipes open is not waited for: it is killed with its group.
  const stop = Promise.race([deadline, proc.exited])
    .then(() => Bun.sleep(DRAIN_GRACE_MS))
    .then(() => killGroup(proc.pid));
  try {
    const [stdout, stderr] = await Promise.all([capture(proc.stdout, maxBytes, stop), capture(proc.stderr, maxBytes, stop)]);
    await proc.exited;
    return { stdout, stderr, returncode: timedOut ? null : proc.exitCode, signal: proc.signalCode === null ? null : String(proc.signalCode), timedOut };
  } finally {
    clearTimeout(timer);
  }
}
