/** Broker results as the text a model reads in tool results and resources. */
import { frameMessage } from "../hook/frame.ts";
import type { Message } from "../protocol/message.ts";
import { type Instance, SEND_STATUS_TEXT, type SendStatus } from "../protocol/responses.ts";

/**
 * One message framed as every model reads mail (src/hook/frame.ts: header, quoted body,
 * end marker); `viewer` (the reader's name) adds the recipient and read receipts.
 * Large-message summaries say how to get the whole text.
 */
export function messageText(m: Message, viewer: string | null = null): string {
  const text = frameMessage(m, { viewer });
  return m.data?.large_message_file !== undefined
    ? `${text}\n(summary of a large message: call read_message with message_id ${m.id} for the full text)`
    : text;
}

/** "1 new message", "2 new messages". */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** Messages under a header such as "2 new messages:", or `none` when there are none; `viewer` as in messageText. */
export function messagesText(
  messages: readonly Message[],
  none: string,
  header = (n: number) => count(n, "new message"),
  viewer: string | null = null,
): string {
  if (messages.length === 0) return none;
  return [`${header(messages.length)}:`, ...messages.map((m) => messageText(m, viewer))].join("\n\n");
}

/** What a send's status means for the sender: the words of SEND_STATUS_TEXT, with the names filled in. */
export function sendStatusText(to: string, status: SendStatus, requested: string): string {
  if (status === "forwarded") return `${requested} was renamed, so it went to ${to}`;
  if (status === "future") return `nobody is registered as ${to} yet; it waits for them`;
  return SEND_STATUS_TEXT[status];
}

/**
 * The registered instances, one per line, marking this agent; a page of a
 * longer list ends with how many more and the cursor for them.
 */
export function instancesText(list: { instances: readonly Instance[]; total?: number; more?: number; next_cursor?: string }, me: string | null): string {
  const { instances } = list;
  if (instances.length === 0) return `Nobody is registered yet${me === null ? " (you are not registered yet either: call register with your name)" : ""}.`;
  const online = instances.filter((i) => i.online).length;
  const lines = instances.map((i) => {
    const facts = [i.online ? "online" : "offline"];
    if (i.unread > 0) facts.push(`${i.unread} unread`);
    facts.push(`last seen ${i.last_seen}`);
    return `${i.online ? "●" : "○"} ${i.name}${i.name === me ? " (you)" : ""} — ${facts.join(", ")}`;
  });
  const total = list.total ?? instances.length;
  const head = total === instances.length ? `${total} registered, ${online} online` : `${total} registered; ${instances.length} shown, ${online} of them online`;
  const out = [`${head}${me === null ? " (you are not registered yet)" : ""}:`, ...lines];
  if (list.next_cursor !== undefined) {
    out.push(`… ${list.more ?? "and"} more: call list_instances with cursor "${list.next_cursor}" for the next page.`);
  }
  return out.join("\n");
}
