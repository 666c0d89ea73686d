/**
 * Human and JSON output of the CLI. Results go to stdout; colour only on a
 * TTY and never with NO_COLOR or --json. Whatever goes to a terminal has its
 * control characters escaped (names and contents come from other agents);
 * only the colours of `palette` reach it as escape sequences.
 */
import type { Config } from "../config.ts";
import { escapeControl } from "../protocol/control-chars.ts";
import type { Message } from "../protocol/message.ts";
import type { Instance } from "../protocol/responses.ts";
import { messageBody } from "../share/show.ts";

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

/** `text` without ANSI escape sequences (citty colours its help and errors whatever the terminal). */
export function plain(text: string): string {
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

const pending = new Set<Promise<void>>();

/**
 * Writes to stdout (`trusted`: ipc's own text, such as help, whose colours are
 * already escape sequences: written as is). The CLI exits with `process.exit`, which would drop
 * whatever a pipe has not taken yet (everything past 64 KiB): main awaits
 * `flushOutput()` first, and that waits for every write made here.
 */
export function out(text: string, trusted = false): void {
  const safe = trusted ? text : forTerminal(text, process.stdout.isTTY === true);
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

/**
 * Prints the human text, or with --json `value` as one JSON object that
 * starts with `"ok": true` (failures print `"ok": false`; a value with its
 * own `ok`, like doctor's report, keeps it).
 */
export function emit(config: Config, human: () => string, value: object): void {
  out(`${config.json ? JSON.stringify({ ok: true, ...value }) : human()}\n`);
}

/** "1 connection", "2 connections". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** An ISO-8601 time as the CLI shows it: `2026-11-23 19:12:17Z`; the epoch (never) as "never". */
export function humanTime(iso: string): string {
  return Date.parse(iso) <= 0 ? "never" : iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}

/** Longest name shown whole in a column; longer ones are cut with "…" so the columns stay aligned. */
const NAME_COLUMN = 24;

/** `ipc list` rows: a header, then online mark, name, unread and last seen in aligned columns. */
export function formatInstances(instances: readonly Instance[], color: boolean): string {
  const p = palette(color);
  const fit = (name: string) => (name.length > NAME_COLUMN ? `${name.slice(0, NAME_COLUMN - 1)}…` : name);
  const width = Math.max(4, ...instances.map((i) => fit(i.name).length));
  const header = p.dim(`  ${"NAME".padEnd(width)}  ${"UNREAD".padStart(6)}  LAST SEEN`);
  const rows = instances.map((i) => {
    const mark = i.online ? p.green("●") : p.dim("○");
    const unread = i.unread > 0 ? String(i.unread).padStart(6) : p.dim("-".padStart(6));
    return `${mark} ${fit(i.name).padEnd(width)}  ${unread}  ${p.dim(i.online ? `${humanTime(i.last_seen)} (online)` : humanTime(i.last_seen))}`;
  });
  return [header, ...rows].join("\n");
}

/**
 * One message, readable: header line then the content, indented. When
 * `viewer` sent it, the header ends with its receipt: "✓ read <time>" or "unread".
 */
export function formatMessage(m: Message, color: boolean, viewer: string | null = null): string {
  const p = palette(color);
  const when = humanTime(m.created_at);
  const kind = m.kind === "direct" || m.kind === "channel" ? "" : p.yellow(` [${m.kind}]`);
  const reply = m.reply_to !== undefined ? p.dim(` ↳ reply to #${m.reply_to}`) : "";
  const receipt = viewer === null || m.from !== viewer || m.to === viewer ? "" : m.read_at !== undefined ? p.green(` ✓ read ${humanTime(m.read_at)}`) : p.dim(" · unread");
  const to = m.channel ?? m.to;
  const head = `${p.dim(`#${m.id}`)} ${p.bold(p.cyan(m.from))} → ${to}${kind}${reply} ${p.dim(when)}${receipt}`;
  // Shared files and command output framed as the hook shows them; the frame lines dimmed.
  const body = messageBody(m)
    .split("\n")
    .map((l) => `  ${/^----- .* -----$|^data: /.test(l) ? p.dim(l) : l}`)
    .join("\n");
  return `${head}\n${body}`;
}

/** A list of messages, or a friendly line when there are none; `viewer` as in formatMessage. */
export function formatMessages(messages: Message[], color: boolean, none = "No new messages.", viewer: string | null = null): string {
  return messages.length === 0 ? palette(color).dim(none) : messages.map((m) => formatMessage(m, color, viewer)).join("\n\n");
}
