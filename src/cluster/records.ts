/**
 * What comes from NATS, checked at intake (docs/security.md#the-cluster-nats), as
 * frames from a socket are: valibot schemas of a cross-broker message (Wire),
 * a directory entry and a channel membership. A record that fails is dropped
 * and logged (`dropped`); it never reaches the store.
 */
import * as v from "valibot";
import { log } from "../broker/log.ts";
import { Channel } from "../protocol/channels.ts";
import { Data, MessageKind } from "../protocol/message.ts";
import { RESERVED_NAMES, SYSTEM_SENDER } from "../protocol/names.ts";

/** A broker's node id (ClusterStore: 16 hex digits). */
const NodeId = v.pipe(v.string(), v.regex(/^[0-9a-f]{1,32}$/));
/** A cluster-wide message id or ref: `<node>.<id>`, a channel copy's `<node>.<record>.<member>`. */
const Ref = v.pipe(v.string(), v.maxLength(120), v.regex(/^[0-9a-f]{1,32}\.[0-9]{1,16}(\.[a-z0-9_-]{1,32})?$/));
const Time = v.pipe(v.number(), v.finite());
/** A name as brokers write it on NATS: already lower-case (protocol/names.ts's Name, without its transform: the hot path). */
const WireName = v.pipe(
  v.string(),
  v.regex(/^[a-z0-9_-]{1,32}$/),
  v.check((n) => !RESERVED_NAMES.has(n), "a reserved name"),
);
/** A sender: a name, or the broker itself (system messages handed over). */
const Sender = v.pipe(v.string(), v.regex(/^[a-z0-9_-]{1,32}$/), v.check((n) => n === SYSTEM_SENDER || !RESERVED_NAMES.has(n), "a reserved name"));
/** The largest content that may cross (bytes): NATS's own max_payload is 1 MB unless raised; 8 MiB at most. */
const MAX_CONTENT = 8 * 1024 * 1024;

/** `data` as stored: JSON text of an object (the socket's Data schema), or null. */
const DataText = v.nullable(
  v.pipe(
    v.string(),
    v.check((text) => {
      try {
        return v.safeParse(Data, JSON.parse(text)).success;
      } catch {
        return false;
      }
    }, "data is not the JSON text of an object"),
  ),
);

/** A cross-broker message as published (one element of a stream message's JSON array). `id` is its cluster-wide id. */
export const Wire = v.object({
  id: Ref,
  from: Sender,
  to: WireName,
  kind: MessageKind,
  content: v.pipe(v.string(), v.maxLength(MAX_CONTENT)),
  data: DataText,
  created_at: Time,
  /** The message this one answers, by its cluster-wide ref (ClusterStore.refOf). */
  reply: v.optional(Ref),
  /** A channel post's copy for one member: the channel ('#name'). */
  channel: v.optional(Channel),
});
export type Wire = v.InferOutput<typeof Wire>;

/**
 * One name's directory entry: its home broker, whether a session holds it there (`live`, as of `at`, ms),
 * its unread count there as of the last heartbeat, and a rename's forwarding.
 */
export const Entry = v.object({
  broker: NodeId,
  live: v.boolean(),
  at: Time,
  unread: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  forward: v.optional(WireName),
  until: v.optional(Time),
});
export type Entry = v.InferOutput<typeof Entry>;

/** One channel membership in the channels bucket: the member's home broker and when it joined (ms). */
export const Membership = v.object({ broker: NodeId, at: Time });
export type Membership = v.InferOutput<typeof Membership>;

/** Parses JSON `text` against `schema`; null when it is not JSON or does not fit. */
export function parseRecord<S extends v.GenericSchema>(schema: S, text: string): v.InferOutput<S> | null {
  try {
    const r = v.safeParse(schema, JSON.parse(text));
    return r.success ? r.output : null;
  } catch {
    return null;
  }
}

/** Drops logged per minute at most, then one line saying how many more. */
const LOG_PER_MINUTE = 20;
let window = 0;
let inWindow = 0;
let silenced = 0;

/** Logs a dropped record (what and why; never its content), at most LOG_PER_MINUTE lines a minute. */
export function dropped(what: string): void {
  const now = Date.now();
  if (now - window >= 60_000) {
    if (silenced > 0) log.warn(`cluster: ${silenced} more records from NATS dropped in the last minute`);
    window = now;
    inWindow = 0;
    silenced = 0;
  }
  if (inWindow++ < LOG_PER_MINUTE) log.warn(`cluster: dropped ${what}`);
  else silenced++;
}
