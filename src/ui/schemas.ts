/**
 * The dashboard's HTTP API shapes (src/ui/api.ts builds them, src/ui/page/
 * reads them): valibot schemas for what the page sends, types for what it gets.
 * Messages are the wire `Message` of protocol v2 (src/protocol/message.ts).
 */
import * as v from "valibot";
import type { Message } from "../protocol/message.ts";
import { Channel } from "../protocol/channels.ts";
import { MessageId } from "../protocol/requests.ts";
import { EVERYONE, Name } from "../protocol/names.ts";

export { EVERYONE };

/** A post from the person at the dashboard: as `as` (their own name), to a name, a channel (`#name`) or EVERYONE. */
export const UiPost = v.object({
  as: Name,
  to: v.union([Name, Channel, v.literal(EVERYONE)], "to is a name, a #channel, or * for everyone"),
  content: v.pipe(v.string(), v.minLength(1, "write something first")),
  reply_to: v.optional(MessageId),
});
export type UiPost = v.InferOutput<typeof UiPost>;

/** The person releases another name's file claim (`paths` absent: all of its claims in `project`); the holder gets a notice from `as`. */
export const UiRelease = v.object({
  as: Name,
  holder: Name,
  project: v.pipe(v.string(), v.minLength(1), v.maxLength(256)),
  path: v.pipe(v.string(), v.minLength(1), v.maxLength(1024)),
});
export type UiRelease = v.InferOutput<typeof UiRelease>;

/**
 * Where a message is: `queued` (stored, unread, nobody has it), `delivered`
 * (`via`: `reader` a waiting reader took it, `woken` its deliverer put it
 * into the model's turn, `live` a live process of the recipient has it,
 * unread), `read` (`read_at`). A channel post's record carries `reach`: how
 * many members' copies are read, of how many.
 */
export interface UiState {
  state: "queued" | "delivered" | "read";
  via?: "reader" | "woken" | "live";
  reach?: { read: number; total: number; unread_by: string[] };
}

/**
 * A message as the dashboard's lists and live feed carry it: the wire message,
 * its delivery state, `partial` when content was cut or `data` summarised
 * (`{summarised: true, kb}`); `GET /api/message/ID` has it whole.
 */
export type UiMessage = Message & UiState & { partial?: true };

/** A login request: the one-time code from the URL fragment. */
export const UiLogin = v.object({ code: v.pipe(v.string(), v.minLength(1), v.maxLength(256)) });

/**
 * One agent in the Agents view. Times are ISO-8601 UTC.
 * `state`: `offline` (no live connection or seat process), `woken` (a message
 * was put into its model's turn at `woken_at`, within the last 2 minutes),
 * `active` (it made a request within the last minute: its model is at work —
 * the broker cannot see more of "busy" than that), else `idle`.
 */
export interface UiAgent {
  name: string;
  /** "Claude Code", "Codex", "Gemini CLI", "OpenCode", "CLI", "person", another host's own name, or "" when unknown (no seat since the broker started). */
  kind: string;
  /** "this machine", or the joined machine it registered through. */
  machine: string;
  /** The project (short name) of the claims it holds, else the project part of a default name `<host>-<project>`; null when neither. */
  project: string | null;
  /** Holds a live connection to the broker now (or its seat's process lives). */
  online: boolean;
  state: "offline" | "woken" | "active" | "idle";
  /** A held check or a subscription waits for its mail. */
  listening: boolean;
  woken_at?: string;
  unread: number;
  /** Paths and globs of the claims it holds (all projects). */
  claims: string[];
  last_seen: string;
}

/** One channel: its members (at most 200), the members' unread copies, its latest post. */
export interface UiChannel {
  name: string;
  members: string[];
  unread: number;
  last?: UiMessage;
}

/** One live file claim. */
export interface UiClaim {
  /** As claims name it: `git:HOST/PATH` or an absolute path. */
  project: string;
  /** Its last part, as the page shows it. */
  project_name: string;
  path: string;
  holder: string;
  shared: boolean;
  reason: string | null;
  claimed_at: string;
  expires_at: string;
  holder_online: boolean;
}

/** Who talks to whom in the last hour: the agents and channels (`#…`; `*` for broadcasts) that did, with weighted edges. */
export interface UiGraph {
  nodes: { id: string; kind: "agent" | "channel" | "everyone"; online: boolean }[];
  edges: { from: string; to: string; count: number }[];
  /** Messages walked (newest first, bounded): the hour's, or fewer when it had more. */
  walked: number;
  /** Names and channels that talked but were left out (only the busiest are shown). */
  left_out: number;
  since: string;
}

/** One line of the activity strip. */
export interface UiActivity {
  type: "sent" | "posted" | "woken" | "read" | "claimed" | "released" | "joined" | "left" | "registered";
  at: string;
  name: string;
  text: string;
}

/** One conversation: two names, or EVERYONE twice for broadcasts; its newest message. */
export interface UiConversation {
  a: string;
  b: string;
  last: UiMessage;
}

/**
 * What the live WebSocket sends: a stored message in its list form (a
 * channel post once, as its record; members' copies never), a message's new
 * state (`id`: the direct message or the channel post's record), and an
 * activity line.
 */
export type UiEvent =
  | { type: "message"; message: UiMessage }
  | { type: "state"; id: number; state: UiState; read_at?: string }
  | { type: "activity"; activity: UiActivity };

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

/**
 * The data of the first screen the server draws into the page it sends for a
 * login link (`GET /?login=CODE`, src/ui/first-screen.ts), as JSON in
 * `<script type="application/json" id="first-screen">`: the session the code
 * was spent for and what the lists were drawn from (the same as
 * `/api/agents?limit=200`, `/api/channels`, `/api/conversations?limit=50`);
 * or why the code was refused (no session), or why the lists could not be
 * drawn (the session stands: the page loads them itself).
 */
export type UiFirstScreen =
  | { session: string; agents: Page<UiAgent>; channels: UiChannel[]; conversations: Page<UiConversation> }
  | { error: string; session?: string };
