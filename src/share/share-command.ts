/**
 * share_command (docs/design.md#4-operations): run a command WITHOUT a shell and send its
 * output to another agent with `data {type: "command", command, stdout,
 * stderr, returncode, description}`. `$`, backticks, `;`, `|` and globs in
 * arguments stay literal. Runs only when this agent's user asks; nothing in an
 * incoming message ever triggers it.
 */
import { existsSync, realpathSync, statSync } from "node:fs";
import { basename, resolve } from "node:path";
import type { Agent } from "../client/agent.ts";
import { type Config, expandEnvWords, hostDirs, secretEnvValues } from "../config.ts";
import { IpcError } from "../protocol/errors.ts";
import type { ResultOf } from "../protocol/responses.ts";
import { checkRecipient, fitsInFrame, utf8Prefix } from "./_payload.ts";
import { type Captured, runCaptured } from "./_run.ts";
import { containsPrivateKey, inodeReason, knownSecrets, secretInText, secretPlaces, secretReason, secretRefusal } from "./sensitive.ts";

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

/** Programs whose whole purpose is to print the environment (API keys, tokens). */
const ENV_PRINTERS = new Set(["env", "printenv"]);
/** Shells: the words of their `-c` string are checked too. */
const SHELLS = new Set(["sh", "bash", "dash", "zsh", "ksh", "fish", "busybox", "ash"]);

/**
 * Why running `argv` would read a secret, by the file rules of share_file
 * (src/share/sensitive.ts) applied to every argument (also the part after
 * `=`, and every word of a shell's `-c` string), after expanding `~`, `$HOME`,
 * `$IPC_HOME` and other variables as a shell would; or for a program that
 * prints the environment. Null when none.
 */
export function commandSecretReason(argv: readonly string[], config: Config): string | null {
  const program = basename(argv[0] ?? "");
  const shell = SHELLS.has(program);
  if (ENV_PRINTERS.has(program)) return `${program} prints the environment, which holds API keys and tokens`;
  const places = secretPlaces(config.home, hostDirs().home);
  for (const arg of argv.slice(1)) {
    const words = shell ? arg.split(/[\s;|&<>()'"`]+/) : [arg];
    for (const word of words) {
      if (shell && ENV_PRINTERS.has(basename(word))) return `it runs ${basename(word)}, which prints the environment (API keys and tokens)`;
      for (const part of new Set([word, word.slice(word.indexOf("=") + 1)])) {
        const reason = pathSecretReason(part, config, places);
        if (reason !== null) return reason;
      }
    }
  }
  return null;
}

/** Why the path `word` (as typed: `~`, `$VAR` expanded; relative to the working folder) is a secret, or null. */
function pathSecretReason(word: string, config: Config, places: ReturnType<typeof secretPlaces>): string | null {
  if (word === "" || word.startsWith("-")) return null;
  const expanded = expandEnvWords(word.replace(/\$\{IPC_HOME\}|\$IPC_HOME(?![A-Za-z0-9_])/g, config.home));
  if (!/[/~.]/.test(expanded) && !existsSync(expanded)) return null;
  const abs = resolve(expanded);
  const forms = [abs];
  try {
    forms.push(realpathSync(abs));
  } catch {
    // not there (yet): its name still counts
  }
  for (const f of new Set(forms)) {
    const reason = secretReason(f, places);
    if (reason !== null) return `it reads ${f}: ${reason}`;
  }
  try {
    const linked = inodeReason(statSync(abs), places);
    if (linked !== null) return `it reads ${abs}: ${linked}`;
  } catch {
    // not a file
  }
  return null;
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
 * A command reading a secret file (commandSecretReason) is refused before it runs, and output
 * holding a private key block or another key-shaped secret (secretInText) after; unless `opts.allowSensitive`
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
  const refusedBefore = opts.allowSensitive === true ? null : commandSecretReason(opts.argv, agent.config);
  if (refusedBefore !== null) throw secretRefusal(`the output of ${command}`, refusedBefore, opts.overridable === true);
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
  const found = opts.allowSensitive === true ? null : secretInText(`${run.stdout.text}\n${run.stderr.text}`, knownSecrets(agent.config.home, secretEnvValues()));
  if (found !== null) throw secretRefusal(`the output of ${command}`, `${found}; nothing was sent`, opts.overridable === true);
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
