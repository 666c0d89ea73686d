import * as v from "valibot";

/** How deep `data` may nest (objects and arrays). Deeper values could not be serialised back in a reply. */
export const MAX_DATA_DEPTH = 64;

/** True when `value` nests at most `max` objects/arrays deep (iterative: safe on any input). */
export function nestsWithin(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [x, depth] = stack.pop()!;
    if (typeof x !== "object" || x === null) continue;
    if (depth > max) return false;
    for (const child of Array.isArray(x) ? x : Object.values(x)) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
    }
  }
  return true;
}

/** Any JSON object (not an array, not null): the shape of `Data`, without its depth check. */
export const JsonObject = v.custom<Record<string, unknown>>(
  (x) => typeof x === "object" && x !== null && !Array.isArray(x),
  "data must be a JSON object",
);

/** Structured payload attached to a message: any JSON object, nested at most MAX_DATA_DEPTH deep. */
export const Data = v.pipe(
  JsonObject,
  v.check((x) => nestsWithin(x, MAX_DATA_DEPTH), `data nests deeper than ${MAX_DATA_DEPTH} levels`),
);
export type Data = v.InferOutput<typeof Data>;

/** How a message came to be. */
export const MessageKind = v.picklist(["direct", "broadcast", "system", "channel"]);
export type MessageKind = v.InferOutput<typeof MessageKind>;

/**
 * A message wherever it is shown (docs/design.md#4-operations). Times are ISO-8601 UTC with milliseconds.
 * For a large message in a `check`, `content` is a summary and `data` carries
 * `large_message_file` and `original_size_kb`; `read` returns the full text.
 */
export const Message = v.object({
  id: v.number(),
  from: v.string(),
  to: v.string(),
  content: v.string(),
  data: v.optional(Data),
  reply_to: v.optional(v.number()),
  kind: MessageKind,
  /** A channel post: its channel ('#name'); `to` is the reader's own name (their copy) or the channel (the sender's record). */
  channel: v.optional(v.string()),
  created_at: v.string(),
  read_at: v.optional(v.string()),
});
export type Message = v.InferOutput<typeof Message>;
