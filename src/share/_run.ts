/**
 * Running a command for share_command: Bun.spawn on an argv (never a shell),
 * stdin closed, stdout and stderr captured up to a byte cap each (the rest is
 * read and counted, so the command never blocks on a full pipe), killed with
 * SIGKILL when it outlives its timeout.
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

/** Reads `stream` to its end (or until `stop`), keeping at most `max` bytes. */
async function capture(stream: ReadableStream<Uint8Array>, max: number, stop: Promise<void>): Promise<Captured> {
  const reader = stream.getReader();
  const stopped = stop.then(() => null);
  const chunks: Uint8Array[] = [];
  let kept = 0;
  let total = 0;
  const keep = max + 4; // a few bytes more, to cut back to a character boundary
  for (;;) {
    const r = await Promise.race([reader.read(), stopped]);
    if (r === null) {
      reader.cancel().catch(() => {});
      break;
    }
    if (r.done) break;
    total += r.value.length;
    if (kept < keep) {
      const part = r.value.subarray(0, keep - kept);
      chunks.push(part);
      kept += part.length;
    }
  }
  const bytes = utf8Prefix(Buffer.concat(chunks), max);
  return { text: new TextDecoder().decode(bytes), droppedBytes: total - bytes.length };
}

/**
 * Runs `argv` without a shell; `timeoutMs` bounds the run, `maxBytes` each captured stream.
 * @throws IpcError BAD_REQUEST (empty argv, cannot execute), NOT_FOUND (command not found).
 */
export async function runCaptured(argv: string[], timeoutMs: number, maxBytes: number): Promise<RunOutcome> {
  const exe = executable(argv);
  let proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  try {
    proc = Bun.spawn([exe, ...argv.slice(1)], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  } catch (err) {
    throw new IpcError("BAD_REQUEST", `cannot run ${argv[0]}: ${(err as Error).message}`);
  }
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      timedOut = true;
      proc.kill("SIGKILL");
      resolve();
    }, timeoutMs);
  });
  // Once the process is gone (exited or killed), output still in the pipes is read for a moment;
  // a child it left behind that keeps the pipes open is not waited for.
  const stop = Promise.race([deadline, proc.exited]).then(() => Bun.sleep(DRAIN_GRACE_MS));
  try {
    const [stdout, stderr] = await Promise.all([capture(proc.stdout, maxBytes, stop), capture(proc.stderr, maxBytes, stop)]);
    await proc.exited;
    return { stdout, stderr, returncode: timedOut ? null : proc.exitCode, signal: proc.signalCode === null ? null : String(proc.signalCode), timedOut };
  } finally {
    clearTimeout(timer);
  }
}
