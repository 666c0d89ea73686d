/** Argument schemas shared by several tools, built on the protocol's own schemas. */
import * as v from "valibot";
import { Data } from "../../protocol/message.ts";
import { Name } from "../../protocol/names.ts";
import { MessageId } from "../../protocol/requests.ts";

/** The recipient (legacy alias `to_id`). */
export const To = v.pipe(Name, v.description("recipient's name, e.g. \"fred\" (1–32 letters, digits, - or _; case-insensitive)"));

/** Message text. */
export const Content = v.pipe(v.string(), v.description("the message text"));

/** Optional structured payload. */
export const DataField = v.optional(v.pipe(Data, v.description("optional structured payload: a JSON object")));

/** A message id as shown in check results (#41). */
export const MessageIdField = v.pipe(MessageId, v.description("message id, the number after # in check results"));

/** At most this many results. */
export function limitField(max: number, what: string) {
  return v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(max), v.description(`at most this many ${what} (1–${max})`)));
}
