/**
 * share_command (docs/design.md#4-operations): run a command WITHOUT a shell and send its
 * output to another agent with `data {type: "command", command, stdout,
 * stderr, returncode, description}`. `$`, backticks, `;`, `|` and globs in
 * arguments stay literal. Runs only when this agent's user asks; nothing in an
 * incoming message ever triggers it.
 */
import type { Agent } from "../client/agent.ts";
import { IpcError } from "../protocol/errors.ts";
import type { ResultOf } from "../protocol/responses.ts";
import { checkRecipient, fitsInFrame, utf8Prefix } from "./_payload.ts";
import { type Captured, runCaptured } from "./_run.ts";
import { containsPrivateKey, secretRefusal } from "./sensitive.ts";

/** Default time a shared command may run (ms). */
export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;

/** Room kept in the content budget for the rest of the data (command line, description, keys). */
const OVERHEAD_BYTES = 1024;

/**
 * Splits a command line into argv with simple quoting, and nothing else: '…'
 * is literal, "…" is literal except for \" \\ \$ \` and backslash-newline,
 * and outside quotes a backslash escapes the next character. There is no
 * expansion of $, `, globs or ~, and ; | & < > are ordinary characters.
 * @throws IpcError BAD_REQUEST for an unterminated quote.
 */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new IpcError("BAD_REQUEST", "unterminated ' quote in the command line");
      word += line.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      inWord = true;
      for (i++; ; i++) {
        if (i >= line.length) throw new IpcError("BAD_REQUEST", 'unterminated " quote in the command line');
        const d = line[i]!;
        if (d === '"') break;
        const next = line[i + 1];
        if (d === "\\" && next !== undefined && '"\\$`\n'.includes(next)) {
          if (next !== "\n") word += next;
          i++;
        } else word += d;
      }
    } else if (c === "\\" && i + 1 < line.length) {
      const next = line[++i]!;
      if (next !== "\n") {
        word += next;
        inWord = true;
      }
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** argv as one readable line, quoted so that splitCommandLine gives the same argv back. */
export function formatCommandLine(argv: string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(" ");
}

/** `c` cut to at most `maxBytes` UTF-8 bytes, counting what was cut. */
function shrink(c: Captured, maxBytes: number): Captured {
  const bytes = Buffer.from(c.text);
  const kept = utf8Prefix(bytes, maxBytes);
  return { text: kept.toString(), droppedBytes: c.droppedBytes + bytes.length - kept.length };
}

/** The stream's text with a note when part of it was left out. */
function withNote(c: Captured): string {
  return c.droppedBytes === 0 ? c.text : `${c.text}\n… [truncated: ${c.droppedBytes} more bytes not shown]`;
}

/**
 * Runs `opts.argv` (no shell; killed after `opts.timeoutMs`, default 30 000 ms) and sends
 * its output to `opts.to`. stdout and stderr are each capped so the message stays under
 * config.limits.maxContentBytes; a cut is noted in the text. The session is checked
 * before the command runs, so a command is never run for a message that cannot be sent.
 * Output holding a private key block is refused unless `opts.allowSensitive`
 * (`opts.overridable`: the refusal may mention --allow-sensitive, as on the CLI).
 * @throws IpcError INVALID_NAME, BAD_REQUEST (empty argv, bad timeout), NOT_FOUND (command not found),
 *   UNAUTHENTICATED / NO_BROKER and the broker's errors from `send`.
 */
export async function shareCommand(
  agent: Agent,
  opts: { to: string; argv: string[]; description?: string; timeoutMs?: number; allowSensitive?: boolean; overridable?: boolean },
): Promise<ResultOf<"send"> & { returncode: number | null; timed_out: boolean }> {
  checkRecipient(opts.to);
  if (opts.argv.length === 0 || opts.argv[0]!.trim() === "") {
    throw new IpcError("BAD_REQUEST", "no command given: put the command and its arguments after --", 2);
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  if (!(timeoutMs > 0 && timeoutMs <= 3_600_000)) {
    throw new IpcError("BAD_REQUEST", `the timeout must be from 1 ms to 1 hour, got ${timeoutMs} ms`, 2);
  }
  await agent.call("whoami", {});
  const limits = agent.config.limits;
  const command = formatCommandLine(opts.argv);
  let cap = Math.max(0, Math.floor((limits.maxContentBytes - Buffer.byteLength(command) - OVERHEAD_BYTES) / 2));
  const run = await runCaptured(opts.argv, timeoutMs, cap);
  const outcome = run.timedOut
    ? `timed out after ${timeoutMs / 1000} s`
    : run.returncode === null
      ? `killed by ${run.signal ?? "a signal"}`
      : `exit ${run.returncode}`;
  if (opts.allowSensitive !== true && (containsPrivateKey(run.stdout.text) || containsPrivateKey(run.stderr.text))) {
    throw secretRefusal(`the output of ${command}`, "it contains a private key block (-----BEGIN … PRIVATE KEY-----)", opts.overridable === true);
  }
  const content = `Shared command output: ${command} (${outcome})`;
  let { stdout, stderr } = run;
  const dataOf = () => ({
    type: "command",
    command,
    argv: opts.argv,
    stdout: withNote(stdout),
    stderr: withNote(stderr),
    returncode: run.returncode,
    timed_out: run.timedOut,
    ...(stdout.droppedBytes + stderr.droppedBytes > 0 && { truncated: true }),
    description: opts.description ?? null,
  });
  // Output full of characters JSON must escape can outgrow a frame: halve until it fits.
  let data = dataOf();
  while (!fitsInFrame(agent.config, content, data) && cap > 0) {
    cap = Math.floor(cap / 2);
    stdout = shrink(stdout, cap);
    stderr = shrink(stderr, cap);
    data = dataOf();
  }
  const sent = await agent.call("send", { to: opts.to, content, data });
  return { ...sent, returncode: run.returncode, timed_out: run.timedOut };
}
