/**
 * Channels and threads on the wire (docs/coordination.md): a channel is
 * `#name` (the name validated like an agent's, lower-cased); `channel`
 * joins, leaves, lists or shows members; `thread` returns a message's whole
 * thread. Posting is `send` with `to: "#name"`.
 */
import * as v from "valibot";
import { RESERVED_NAMES } from "./names.ts";

/** A channel: `#` and 1–32 characters of `[A-Za-z0-9_-]`, lower-cased. */
export const Channel = v.pipe(
  v.string("a channel must be a string"),
  v.regex(/^#[A-Za-z0-9_-]{1,32}$/, "a channel is # and 1–32 characters of letters, digits, '-' and '_', e.g. #backend"),
  v.toLowerCase(),
  v.check((c) => !RESERVED_NAMES.has(c.slice(1)), "that channel name is reserved (system, all, broadcast)"),
);

/** A `to` / `with`: an agent's name, or a channel (`#name`); lower-cased. */
export const Recipient = v.pipe(
  v.string("a name must be a string"),
  v.regex(/^#?[A-Za-z0-9_-]{1,32}$/, "a name is 1–32 characters of letters, digits, '-' and '_' (a channel is # and such a name, e.g. #backend)"),
  v.toLowerCase(),
  v.check((n) => !RESERVED_NAMES.has(n.replace(/^#/, "")), "that name is reserved (system, all, broadcast)"),
);

/** True for a `to` / `with` that names a channel rather than an agent. */
export function isChannel(target: string): boolean {
  return target.startsWith("#");
}

const base = { id: v.optional(v.union([v.pipe(v.number(), v.safeInteger()), v.pipe(v.string(), v.maxLength(128))])), token: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(256))) };

/** join, leave and members name a channel; list shows every channel with members. */
export const ChannelRequest = v.object({
  ...base,
  op: v.literal("channel"),
  action: v.picklist(["join", "leave", "list", "members"], 'action is "join", "leave", "list" or "members"'),
  channel: v.optional(Channel),
});
/** The whole thread of `message_id`: its root and every reply below it, oldest first, as far as the caller may read. */
export const ThreadRequest = v.object({
  ...base,
  op: v.literal("thread"),
  message_id: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
});

export const ChannelInfo = v.object({ name: v.string(), members: v.array(v.string()), joined: v.boolean() });
export type ChannelInfo = v.InferOutput<typeof ChannelInfo>;
export const ChannelResult = v.object({ channels: v.array(ChannelInfo) });
