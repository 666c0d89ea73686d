/** Serialises v2 response and push frames (docs/design.md#5-protocol-v2): one JSON text plus `\n`. */
import type { ErrorBody } from "../../protocol/errors.ts";
import type { Message } from "../../protocol/message.ts";

/** `{"id":…,"ok":true,…result}\n` (the result's members spliced in without copying it). */
export function okFrame(id: unknown, result: object): string {
  return okFrameFromJson(id, JSON.stringify(result));
}

/** okFrame for a result already serialised as a JSON object text (one serialisation, many answers). */
export function okFrameFromJson(id: unknown, members: string): string {
  const head = `{"id":${JSON.stringify(id ?? null)},"ok":true`;
  return members.length === 2 ? `${head}}\n` : `${head},${members.slice(1)}\n`;
}

/** A send's result (SendResult in src/protocol/responses.ts): the dispatcher answers it with sendAnswerFrame. */
export class SendAnswer {
  constructor(
    readonly message_id: number,
    readonly to: string,
    readonly status: string,
  ) {}
}

/**
 * okFrame(id, {message_id, to, status}) for every send's answer: the same text, from one
 * JSON.stringify of the whole frame, which costs less than okFrame's splice of two (issue 25).
 */
export function sendAnswerFrame(id: unknown, r: SendAnswer): string {
  return `${JSON.stringify({ id: id ?? null, ok: true, message_id: r.message_id, to: r.to, status: r.status })}\n`;
}

/** `{"id":…,"ok":false,"error":{code,message}}\n` */
export function errorFrame(id: unknown, error: ErrorBody): string {
  return `${JSON.stringify({ id: id ?? null, ok: false, error })}\n`;
}

/** `{"event":"message","message":{…}}\n`; with `lease`, `"lease":true` tells a deliverer the message is leased to it (ack it). */
export function messageEventFrame(message: Message, lease = false): string {
  return `${JSON.stringify(lease ? { event: "message", message, lease: true } : { event: "message", message })}\n`;
}
