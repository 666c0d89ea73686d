/**
 * A bound on the size of one reply. `check` marks what it returns as read,
 * so a reply too big for a client to receive (or for the broker to queue:
 * 64 MiB per connection) would lose messages. Replies carry at most about
 * REPLY_BUDGET characters of message text and data; what does not fit stays
 * for the next call (check), or the next page (history, search).
 */
import type { MessageRow } from "../store/messages.ts";

/** Characters of content and data one reply carries at most (a single message always fits). */
export const REPLY_BUDGET = 8 * 1024 * 1024;

/** Room a large message's summary and path take in an inbox view (characters, generous). */
const SUMMARY_WEIGHT = 1_024;
/** Room the other fields of one message take (characters, generous). */
const FIELDS_WEIGHT = 256;

/** How many of `rows`, in order, fit in one reply (at least one when there are any). `full`: whole large messages. */
export function fitting(rows: readonly MessageRow[], full: boolean, budget = REPLY_BUDGET): number {
  let used = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    used += FIELDS_WEIGHT + (r.large_file !== null && !full ? SUMMARY_WEIGHT : r.content.length) + (r.data?.length ?? 0);
    if (used > budget) return Math.max(1, i);
  }
  return rows.length;
}
