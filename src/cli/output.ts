/**
 * Human and JSON output of the CLI. Results go to stdout; colour only on a
 * TTY and never with NO_COLOR or --json. Whatever goes to a terminal has its
 * control characters escaped (names and contents come from other agents);
 * only the colours of `palette` reach it as escape sequences.
 */
import type { Config } from "../config.ts";
import { escapeControl } from "../protocol/control-chars.ts";
import type { Message } from "../protocol/message.ts";

type Paint = (s: string) => string;

/**
 * palette marks its colours with this per-process random tag between two private-use
 * characters; `forTerminal` turns exactly these marks into SGR sequences after escaping
 * everything else, so text from others cannot forge one.
 */
const MARK = `\u{f8f0}${crypto.randomUUID().slice(0, 8)}:`;
const MARK_END = "\u{f8f1}";
const MARKS = new RegExp(`${MARK}(\\d{1,2})${MARK_END}`, "gu");

/** ANSI styles that turn into no-ops when colour is off. */
export function palette(color: boolean): Record<"bold" | "dim" | "green" | "red" | "cyan" | "yellow", Paint> {
  const sgr = (n: number) => `${MARK}${n}${MARK_END}`;
  const wrap = (open: number, close: number): Paint => (color ? (s) => `${sgr(open)}${s}${sgr(close)}` : (s) => s);
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    green: wrap(32, 39),
    red: wrap(31, 39),
    cyan: wrap(36, 39),
    yellow: wrap(33, 39),
  };
}

/**
 * `text` as it may be written to a stream: on a terminal (`tty`) every control character but
 * \n and \t is escaped (src/protocol/control-chars.ts); then palette's marks become colours.
 */
export function forTerminal(text: string, tty: boolean): string {
  const safe = tty ? escapeControl(text) : text;
  return safe.includes(MARK) ? safe.replace(MARKS, "\x1b[$1m") : safe;
}

const pending = new Set<Promise<void>>();

/**
 * Writes to stdout. The CLI exits with `process.exit`, which would drop
 * whatever a pipe has not taken yet (everything past 64 KiB): main awaits
 * `flushOutput()` first, and that waits for every write made here.
 */
export function out(text: string): void {
  const safe = forTerminal(text, process.stdout.isTTY === true);
  const done = new Promise<void>((resolve) => process.stdout.write(safe, () => resolve()));
  pending.add(done);
  void done.then(() => pending.delete(done));
}

/** Writes a note or an error line to stderr, escaped like `out` when stderr is a terminal. */
export function errOut(text: string): void {
  process.stderr.write(forTerminal(text, process.stderr.isTTY === true));
}

/** Resolves once everything written with `out` has left the process. */
export async function flushOutput(): Promise<void> {
  await Promise.all(pending);
}

/** Prints `value` as JSON with --json, else the human text. */
export function emit(config: Config, human: () => string, value: unknown): void {
  out(`${config.json ? JSON.stringify(value) : human()}\n`);
}

/** An ISO time as "2026-12-01 05:00:00Z". */
function shortTime(iso: string): string {
  return iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}

/**
 * One message, readable: header line then the content, indented. When
 * `viewer` sent it, the header ends with its receipt: "✓ read <time>" or "unread".
 */
export function formatMessage(m: Message, color: boolean, viewer: string | null = null): string {
  const p = palette(color);
  const when = shortTime(m.created_at);
  const kind = m.kind === "direct" ? "" : p.yellow(` [${m.kind}]`);
  const reply = m.reply_to !== undefined ? p.dim(` ↩ #${m.reply_to}`) : "";
  const receipt = viewer === null || m.from !== viewer || m.to === viewer ? "" : m.read_at !== undefined ? p.green(` ✓ read ${shortTime(m.read_at)}`) : p.dim(" · unread");
  const head = `${p.dim(`#${m.id}`)} ${p.bold(p.cyan(m.from))} → ${m.to}${kind}${reply} ${p.dim(when)}${receipt}`;
  const body = m.content.split("\n").map((l) => `  ${l}`).join("\n");
  const data = m.data !== undefined ? `\n  ${p.dim(`data: ${JSON.stringify(m.data)}`)}` : "";
  return `${head}\n${body}${data}`;
}

/** A list of messages, or a friendly line when there are none; `viewer` as in formatMessage. */
export function formatMessages(messages: Message[], color: boolean, none = "No new messages.", viewer: string | null = null): string {
  return messages.length === 0 ? palette(color).dim(none) : messages.map((m) => formatMessage(m, color, viewer)).join("\n\n");
}
