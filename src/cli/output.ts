/**
 * Human and JSON output of the CLI. Results go to stdout; colour only on a
 * TTY and never with NO_COLOR or --json.
 */
import type { Config } from "../config.ts";
import type { Message } from "../protocol/message.ts";
import type { Instance } from "../protocol/responses.ts";
import { messageBody } from "../share/show.ts";

type Paint = (s: string) => string;

/** ANSI styles that turn into no-ops when colour is off. */
export function palette(color: boolean): Record<"bold" | "dim" | "green" | "red" | "cyan" | "yellow", Paint> {
  const wrap = (open: number, close: number): Paint => (color ? (s) => `\x1b[${open}m${s}\x1b[${close}m` : (s) => s);
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    green: wrap(32, 39),
    red: wrap(31, 39),
    cyan: wrap(36, 39),
    yellow: wrap(33, 39),
  };
}

/** `text` without ANSI escape sequences (citty colours its help and errors whatever the terminal). */
export function plain(text: string): string {
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

const pending = new Set<Promise<void>>();

/**
 * Writes to stdout. The CLI exits with `process.exit`, which would drop
 * whatever a pipe has not taken yet (everything past 64 KiB): main awaits
 * `flushOutput()` first, and that waits for every write made here.
 */
export function out(text: string): void {
  const done = new Promise<void>((resolve) => process.stdout.write(text, () => resolve()));
  pending.add(done);
  void done.then(() => pending.delete(done));
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

/** One message, readable: header line then the content, indented. */
export function formatMessage(m: Message, color: boolean): string {
  const p = palette(color);
  const when = humanTime(m.created_at);
  const kind = m.kind === "direct" ? "" : p.yellow(` [${m.kind}]`);
  const reply = m.reply_to !== undefined ? p.dim(` ↩ #${m.reply_to}`) : "";
  const head = `${p.dim(`#${m.id}`)} ${p.bold(p.cyan(m.from))} → ${m.to}${kind}${reply} ${p.dim(when)}`;
  // Shared files and command output framed as the hook shows them; the frame lines dimmed.
  const body = messageBody(m)
    .split("\n")
    .map((l) => `  ${/^----- .* -----$|^data: /.test(l) ? p.dim(l) : l}`)
    .join("\n");
  return `${head}\n${body}`;
}

/** A list of messages, or a friendly line when there are none. */
export function formatMessages(messages: Message[], color: boolean, none = "No new messages."): string {
  return messages.length === 0 ? palette(color).dim(none) : messages.map((m) => formatMessage(m, color)).join("\n\n");
}
