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

/** `{"id":…,"ok":false,"error":{code,message}}\n` */
export function errorFrame(id: unknown, error: ErrorBody): string {
  return `${JSON.stringify({ id: id ?? null, ok: false, error })}\n`;
}

/** `{"event":"message","message":{…}}\n`; with `lease`, `"lease":true` tells a deliverer the message is leased to it (ack it). */
export function messageEventFrame(message: Message, lease = false): string {
  return `${JSON.stringify(lease ? { event: "message", message, lease: true } : { event: "message", message })}\n`;
}
