/**
 * A bound on the size of one reply. `check` marks what it returns as read,
 * so a reply too big for a client to receive (or for the broker to queue:
 * 64 MiB per connection) would lose messages. Replies carry at most about
 * REPLY_BUDGET characters of message text and data; what does not fit stays
 * for the next call (check), or the next page (history, search).
 *
 * A reply is also counted against the output all connections have not read
 * yet (IPC_MAX_HELD_OUTPUT_BYTES) before it is built: it carries no more than
 * is left, and is refused (RATE_LIMITED) when not even its first message fits.
 */
import { IpcError } from "../../protocol/errors.ts";
import type { MessageRow, UnreadSize } from "../../store/messages.ts";
import type { Broker } from "../broker.ts";

/** Characters of content and data one reply carries at most (a single message always fits). */
export const REPLY_BUDGET = 8 * 1024 * 1024;

/** Room a large message's summary and path take in an inbox view (characters, generous). */
const SUMMARY_WEIGHT = 1_024;
/** Room the other fields of one message take (characters, generous). */
const FIELDS_WEIGHT = 256;

/** Least room (characters) left of the shared output budget for a reply to be built at all. */
export const MIN_REPLY_ROOM = 64 * 1024;

/** Characters one message takes in a reply (about). `full`: a large message's whole text, not its summary. */
export function weight(r: MessageRow, full: boolean): number {
  return FIELDS_WEIGHT + (r.large_file !== null && !full ? SUMMARY_WEIGHT : r.content.length) + (r.data?.length ?? 0);
}

/** How many of `rows`, in order, fit in one reply (at least one when there are any). `full`: whole large messages. */
export function fitting(rows: readonly MessageRow[], full: boolean, budget = REPLY_BUDGET): number {
  let used = 0;
  for (let i = 0; i < rows.length; i++) {
    used += weight(rows[i]!, full);
    if (used > budget) return Math.max(1, i);
  }
  return rows.length;
}

/**
 * How many of the unread messages measured by `sizes` (MessageStore.unreadSizes, oldest first) are worth
 * reading for a reply of `budget` units: never fewer than fit (each size, divided by `bytesPerUnit`, is at
 * most what its message weighs), so the exact cut on those rows answers the same, while the rows past it
 * (megabytes a reply cannot carry: 30 unread 3.5 MB messages were all read by every check) stay unread
 * on disk. `bytesPerUnit`: 3 for a budget in UTF-16 characters (weight), 1 for one in UTF-8 bytes or more.
 */
export function worthReading(sizes: readonly UnreadSize[], budget: number, bytesPerUnit: number): number {
  let used = 0;
  for (let i = 0; i < sizes.length; i++) {
    used += Math.floor((sizes[i]!.content_bytes + sizes[i]!.data_bytes) / bytesPerUnit);
    if (used > budget) return i + 1;
  }
  return sizes.length;
}

/** Bytes (about) of IPC_MAX_HELD_OUTPUT_BYTES not taken by replies clients have not read yet or that wait for the commit. */
export function outputLeft(b: Broker): number {
  return b.outputBudget.max - b.outputBudget.held - b.commit.queuedChars;
}

/**
 * Room for one reply built now: REPLY_BUDGET, or less when the shared output budget has less left.
 * @throws IpcError RATE_LIMITED when less than MIN_REPLY_ROOM is left: nothing is built.
 */
export function replyRoom(b: Broker): number {
  const left = outputLeft(b);
  if (left < MIN_REPLY_ROOM) throw outputFull(b);
  return Math.min(REPLY_BUDGET, left);
}

/**
 * How many of `rows` fit in a reply built now (see replyRoom).
 * @throws IpcError RATE_LIMITED when not even the first fits what is left of the shared output budget.
 */
export function fittingNow(b: Broker, rows: readonly MessageRow[], full: boolean): number {
  const room = replyRoom(b);
  if (rows.length > 0 && room < REPLY_BUDGET && weight(rows[0]!, full) > room) throw outputFull(b);
  return fitting(rows, full, room);
}

/** The refusal of a reply the shared output budget cannot hold now. */
export function outputFull(b: Broker): IpcError {
  const mib = (n: number) => (n / 1024 / 1024).toFixed(1);
  const held = b.outputBudget.held + b.commit.queuedChars;
  return new IpcError(
    "RATE_LIMITED",
    `the broker holds ${mib(held)} MiB of replies its clients have not read yet (IPC_MAX_HELD_OUTPUT_BYTES is ${mib(b.outputBudget.max)} MiB): this reply does not fit now; retry in 1000 ms`,
    undefined,
    1000,
  );
}
