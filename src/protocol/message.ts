import * as v from "valibot";

/** Structured payload attached to a message: any JSON object (not an array, not null). */
export const Data = v.custom<Record<string, unknown>>(
  (x) => typeof x === "object" && x !== null && !Array.isArray(x),
  "data must be a JSON object",
);
export type Data = v.InferOutput<typeof Data>;

/** How a message came to be. */
export const MessageKind = v.picklist(["direct", "broadcast", "system"]);
export type MessageKind = v.InferOutput<typeof MessageKind>;

/**
 * A message wherever it is shown (DESIGN.md §4). Times are ISO-8601 UTC with milliseconds.
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
  created_at: v.string(),
  read_at: v.optional(v.string()),
});
export type Message = v.InferOutput<typeof Message>;
