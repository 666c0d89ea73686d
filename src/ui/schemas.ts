/**
 * The dashboard's HTTP API shapes (src/ui/api.ts builds them, src/ui/page/
 * reads them): valibot schemas for what the page sends, types for what it gets.
 * Messages are the wire `Message` of protocol v2 (src/protocol/message.ts).
 */
import * as v from "valibot";
import type { Message } from "../protocol/message.ts";
import { MessageId } from "../protocol/requests.ts";
import { EVERYONE, Name } from "../protocol/names.ts";

export { EVERYONE };

/** A post from the person at the dashboard: as `as` (their own name), to a name or EVERYONE. */
export const UiPost = v.object({
  as: Name,
  to: v.union([Name, v.literal(EVERYONE)]),
  content: v.pipe(v.string(), v.minLength(1, "write something first")),
  reply_to: v.optional(MessageId),
});
export type UiPost = v.InferOutput<typeof UiPost>;

/**
 * A message as the dashboard's lists and live feed carry it: the wire message,
 * `partial` when content was cut or `data` summarised (`{summarised: true, kb}`);
 * `GET /api/message/ID` has it whole.
 */
export type UiMessage = Message & { partial?: true };

/** A login request: the one-time code from the URL fragment. */
export const UiLogin = v.object({ code: v.pipe(v.string(), v.minLength(1), v.maxLength(256)) });

/** One agent in the Agents view. Times are ISO-8601 UTC. */
export interface UiAgent {
  name: string;
  /** Holds a live connection to the broker now. */
  online: boolean;
  unread: number;
  last_seen: string;
}

/** One conversation: two names, or EVERYONE twice for broadcasts; its newest message. */
export interface UiConversation {
  a: string;
  b: string;
  last: UiMessage;
}

/** What the live WebSocket sends: one frame per stored message, in its list form. */
export interface UiEvent {
  type: "message";
  message: UiMessage;
}

/** The reply to a login: the session secret the page keeps in sessionStorage and sends as X-Ipc-Session. */
export interface UiLoggedIn {
  ok: true;
  session: string;
}

/** A page of a list: the rows, and how many there are in all (when known). */
export interface Page<T> {
  items: T[];
  total?: number;
  /** Rows were left out (the page size, or the reply's size bound): ask for the next page. */
  more?: boolean;
}
