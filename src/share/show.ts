/**
 * How a message reads as text wherever people or models see it whole (CLI
 * check/read/history, the Claude Code hook): its content, then what its data
 * carries framed by `----- … -----` rules: a shared file's content, a shared
 * command's stdout and stderr, a large message's file; other data as JSON.
 */
import type { Message } from "../protocol/message.ts";

function str(x: unknown): string | null {
  return typeof x === "string" ? x : null;
}

/** The full readable body of `m` (never cut; callers bound it). */
export function messageBody(m: Message): string {
  const d = m.data;
  if (d === undefined) return m.content;
  const desc = str(d.description) ? ` — ${d.description}` : "";
  if (d.type === "file" && str(d.content) !== null) {
    return `${m.content}${desc}\n----- file content -----\n${d.content}`;
  }
  if (d.type === "command") {
    return `${m.content}${desc}\n----- stdout -----\n${str(d.stdout) ?? ""}\n----- stderr -----\n${str(d.stderr) ?? ""}`;
  }
  if (str(d.large_message_file) !== null) return `${m.content}\n(large message: the whole text is in ${d.large_message_file})`;
  return `${m.content}\ndata: ${JSON.stringify(d)}`;
}
