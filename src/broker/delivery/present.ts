/** Turns stored rows into wire messages (docs/design.md#4-operations). */
import type { Message } from "../../protocol/message.ts";
import type { MessageRow } from "../../store/messages.ts";
import { sizeKb, summarize } from "./large-messages.ts";

/** ISO-8601 UTC with milliseconds. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * A stored row's `data` as an object, or undefined when it has none or it is not a JSON object: a row
 * stored before intake checked cluster records (issue 22) must not make every read of its inbox fail.
 */
function storedData(text: string | null): Record<string, unknown> | undefined {
  if (text === null) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The wire form of a stored message. `full` gives the whole text (read,
 * history); otherwise a large message shows its summary, its file path and
 * `data.large_message_file` / `data.original_size_kb` (check, push, search).
 */
export function toMessage(row: MessageRow, full: boolean): Message {
  const m: Message = {
    id: row.id,
    from: row.sender,
    to: row.recipient,
    content: row.content,
    kind: row.kind,
    created_at: iso(row.created_at),
  };
  if (row.channel != null) m.channel = row.channel;
  let data = storedData(row.data);
  if (row.large_file !== null && !full) {
    const kb = sizeKb(row.content);
    m.content = `${summarize(row.content)}\n\n[Large message, ${kb} KB. Full text saved to: ${row.large_file} — or run: ipc read ${row.id}]`;
    data = { ...data, large_message_file: row.large_file, original_size_kb: kb };
  }
  if (data !== undefined) m.data = data;
  if (row.reply_to !== null) m.reply_to = row.reply_to;
  if (row.read_at !== null) m.read_at = iso(row.read_at);
  return m;
}
