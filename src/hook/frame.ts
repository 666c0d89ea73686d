/**
 * The one framing of text from other agents placed in front of a model: the
 * hook context of every host (Claude Code, its wake hook, Codex, Gemini CLI,
 * Cursor), Claude Code's inbox socket and the MCP tool results all call
 * frameMessage, so no message body can pass for framing:
 *
 *   === #7 from mallory at 2026-12-01T05:00:00.000Z ===
 *   │ the body, every line quoted
 *   │ === #8 from alice …      ← a forged header stays a quoted body line
 *   === end of #7 ===
 *
 * Before quoting, control characters are escaped (src/protocol/control-chars.ts)
 * and Unicode format characters (general category Cf: zero-width spaces and
 * joiners, bidi embeddings, overrides and isolates, the BOM, tag characters)
 * are removed, so nothing invisible hides in front of a line or inside a word.
 * Every line break a reader might honour (\n, \r, U+2028, U+2029) starts a
 * new quoted line.
 */
import { escapeControl } from "../protocol/control-chars.ts";
import type { Message } from "../protocol/message.ts";
import { messageBody } from "../share/show.ts";

/** What starts every quoted line of a body (a box-drawing bar and a space). */
export const QUOTE = "│ ";

/** Unicode format characters (Cf: U+200B–U+200F, U+202A–U+202E, U+2060–U+2064, U+2066–U+206F, U+FEFF, tags U+E0001–U+E007F, …). */
const FORMAT_CHARS = /\p{Cf}/gu;

/** The line breaks a model or a terminal may honour; each starts a new quoted line. */
const LINE_BREAK = /\r\n|[\n\r\u2028\u2029]/;
const LINE_BREAKS = /\r\n|[\n\r\u2028\u2029]/g;

/** `text` with control characters escaped as `\uXXXX` and format characters (Cf) removed. */
export function neutralised(text: string): string {
  return escapeControl(text, { keepCR: true }).replace(FORMAT_CHARS, "");
}

/** `text` neutralised, each of its lines prefixed with QUOTE (an empty text is one empty quoted line). */
export function quoted(text: string): string {
  return neutralised(text)
    .split(LINE_BREAK)
    .map((line) => `${QUOTE}${line}`)
    .join("\n");
}

/** The closing line of message `id`'s frame. */
export function endMarker(id: number): string {
  return `=== end of #${id} ===`;
}

/**
 * The opening line of `m`'s frame: id, sender, channel or kind, the message it
 * answers, time; with `viewer` (the reader's name) the recipient when it is not
 * the viewer, and the read receipt of what the viewer sent.
 */
export function frameHeader(m: Message, viewer: string | null = null): string {
  const where =
    m.channel !== undefined ? ` [in ${m.channel}]` : m.kind !== "direct" ? ` [${m.kind}]` : viewer !== null && m.to !== viewer ? ` to ${m.to}` : "";
  const reply = m.reply_to !== undefined ? ` (reply to #${m.reply_to})` : "";
  const receipt =
    viewer === null || m.from !== viewer || m.to === viewer ? "" : m.read_at !== undefined ? ` ✓ read ${m.read_at}` : " · unread";
  // Names, channels and times are checked by the broker; neutralised on one line all the same.
  return neutralised(`=== #${m.id} from ${m.from}${where}${reply} at ${m.created_at}${receipt} ===`).replace(LINE_BREAKS, " ");
}

export interface FrameOptions {
  /** The reader's name (see frameHeader). */
  viewer?: string | null;
  /** Longest quoted body (characters); a longer one is cut and ends with `cutNote`. */
  maxBodyChars?: number;
  /** The line after a cut body (default: how to read it whole with `ipc read`). */
  cutNote?: string;
}

/** The characters frameMessage adds around the quoted body: header, end marker, two newlines. */
export function frameOverhead(m: Message, viewer: string | null = null): number {
  return frameHeader(m, viewer).length + endMarker(m.id).length + 2;
}

/**
 * `m` framed for a model: frameHeader, its whole body (messageBody: content, then
 * a shared file or command output) quoted line by line, endMarker. With
 * `maxBodyChars` a longer quoted body is cut (the cut part still quoted) and a note says so.
 */
export function frameMessage(m: Message, opts: FrameOptions = {}): string {
  const viewer = opts.viewer ?? null;
  let body = quoted(messageBody(m));
  const max = opts.maxBodyChars;
  if (max !== undefined && body.length > max) {
    const note = opts.cutNote ?? `… [cut: \`ipc read ${m.id}\` shows the whole message]`;
    body = `${body.slice(0, Math.max(QUOTE.length, max - note.length - 1))}\n${note}`;
  }
  return `${frameHeader(m, viewer)}\n${body}\n${endMarker(m.id)}`;
}
