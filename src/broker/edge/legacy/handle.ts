/**
 * Serves a legacy request (docs/design.md#6-legacy-protocol) with the same domain code as v2 and
 * answers in the legacy shape, then closes the connection once the whole
 * reply is written (replies of any size arrive whole).
 */
import * as v from "valibot";
import { legacyProof, safeEqual } from "../../../protocol/auth.ts";
import { paths } from "../../../config.ts";
import { IpcError } from "../../../protocol/errors.ts";
import { type LegacyMessage, LegacyRequest, type LegacyReply } from "../../../protocol/legacy.ts";
import { Name, normalizeName } from "../../../protocol/names.ts";
import { databaseError } from "../../../store/database.ts";
import type { MessageRow } from "../../../store/messages.ts";
import type { Broker } from "../../broker.ts";
import type { Connection } from "../connection.ts";
import { log } from "../../log.ts";
import { broadcastFrom, dataText, sendDirect } from "../../ops/messaging.ts";
import { takeUnread } from "../../ops/inbox.ts";
import { list } from "../../ops/directory.ts";
import { rename } from "../../ops/rename.ts";
import { refuseReserved } from "../../state/reserved.ts";
import { toMessage } from "../../delivery/present.ts";
import { describeHolder, holdersOf } from "../../state/seats.ts";
import { LEGACY_BAD_TOKEN, legacyErrorText, legacyText } from "./replies.ts";

/**
 * Messages one legacy check takes from the inbox before LEGACY_REPLY_BYTES
 * picks how many fit: no message takes less than about 80 bytes, so no more
 * than this fit, and the rest is never marked read only to be unmarked.
 */
const LEGACY_CHECK_LIMIT = 1_000;

/**
 * Bytes one legacy `check` or `list` reply takes at most (a single message
 * larger than this still goes alone). claude-ipc-mcp's own clients read a reply
 * with ONE `recv(65536)` on a fresh connection, and that returns only what has
 * arrived: TCP cuts a reply into segments of at most half the peer's initial
 * receive window (Linux `tcp_bound_to_half_wnd`: about 32 KiB on loopback with
 * the default `tcp_rmem`, less with older defaults) and macOS's loopback MTU is
 * 16 KiB, and the reader wakes on the first segment. Measured: 60 KiB replies
 * came cut at 32 768 bytes in up to 13 of 50 checks on a loaded machine; replies
 * under this bound, one segment everywhere, never did. What does not fit stays
 * unread for the next check.
 */
export const LEGACY_REPLY_BYTES = 16_000;

/** Instances one legacy `list` asks the directory for; the reply then keeps those that fit LEGACY_REPLY_BYTES. */
const LEGACY_LIST_LIMIT = 500;

/** Bytes of `{"status":"ok","messages":[]}` (and of the `instances` envelope) around the items. */
const ENVELOPE_BYTES = 32;

/** Why a legacy client cannot register on a broker without a shared secret (outside open mode). */
export const LEGACY_NEEDS_SECRET =
  "this broker requires authentication, and the claude-ipc-mcp protocol can only prove a shared secret: " +
  "set IPC_SHARED_SECRET to the same value for the ipc broker and for the legacy clients";

/** Handles the one request of a legacy connection and closes it after replying. */
export function handleLegacy(b: Broker, conn: Connection, obj: Record<string, unknown>): void {
  let reply: string;
  try {
    reply = legacyText(serve(b, conn, obj));
  } catch (err) {
    const e = databaseError(paths.database(b.config), err); // a damaged database is named as such
    if (!(e instanceof IpcError)) {
      log.error(`internal error (legacy): ${(err as Error)?.stack ?? err}`);
      b.commit.abort("a legacy request failed while writing");
    } else if (e !== err) {
      log.error(e.message);
      b.commit.abort("the database is damaged");
    }
    reply = legacyErrorText(e instanceof IpcError ? e.message : "Internal server error");
  }
  // A legacy connection closes after its one reply (Connection.write sees Mode.Legacy).
  b.commit.send(conn, reply, "legacy");
}

function serve(b: Broker, conn: Connection, obj: Record<string, unknown>): LegacyReply {
  if (!b.config.legacy) {
    return { status: "error", message: "the claude-ipc-mcp protocol is off on this broker (IPC_LEGACY=off): use ipc (protocol v2)" };
  }
  const parsed = v.safeParse(LegacyRequest, obj);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const field = issue.path?.map((p) => String(p.key)).join(".");
    if (issue.path === undefined || field === "action") return { status: "error", message: `Unknown action: ${String(obj.action)}` };
    return { status: "error", message: `Invalid request: ${field}: ${issue.message}` };
  }
  const req = parsed.output;
  switch (req.action) {
    case "register": {
      const name = legacyName(req.instance_id);
      if (b.config.secret !== null) {
        const ok = typeof req.auth_token === "string" && safeEqual(req.auth_token, legacyProof(req.instance_id, b.config.secret));
        if (!ok) return { status: "error", message: "Invalid auth token" };
      } else if (!b.open) {
        return { status: "error", message: LEGACY_NEEDS_SECRET };
      }
      refuseReserved(b, conn, name, undefined);
      b.registrations.admit(conn);
      const wait = b.sessions.bucketOf(name).take();
      if (wait > 0) return { status: "error", message: `Rate limit exceeded: try again in ${wait} ms` };
      const now = b.clock();
      // One name per live seat (seats.ts): a legacy client cannot say its seat, so it never takes a held name.
      const held = holdersOf(b, name, conn, null, now)[0];
      if (held !== undefined) return { status: "error", message: `Name taken: ${name} is held by another live session (${describeHolder(held)}); pick another name` };
      b.commit.begin();
      b.registry.register(name, now);
      const { token, session } = b.sessions.create(name, now);
      b.bind(conn, session);
      const queued = b.registry.unreadOf(name);
      const message = queued > 0 ? `Registered ${name} with ${queued} queued messages` : `Registered ${name}`;
      return { status: "ok", session_token: token, message };
    }
    case "send": {
      const s = session(b, conn, req.session_token);
      const text = typeof req.message === "string" ? { content: req.message, data: undefined } : req.message;
      const r = sendDirect(b, s.name, legacyName(req.to_id), text.content, dataText(text.data ?? undefined), null);
      if (r.status === "forwarded") return { status: "ok", message: `Message forwarded from ${legacyName(req.to_id)} to ${r.to}` };
      if (r.status === "future") return { status: "ok", message: `Message queued for ${r.to} (not yet registered)` };
      return { status: "ok", message: "Message sent" };
    }
    case "broadcast": {
      const s = session(b, conn, req.session_token);
      const text = typeof req.message === "string" ? { content: req.message, data: undefined } : req.message;
      const r = broadcastFrom(b, s.name, text.content, dataText(text.data ?? undefined));
      return { status: "ok", message: `Broadcast to ${r.count} instances` };
    }
    case "check": {
      const s = session(b, conn, req.session_token);
      const messages: LegacyMessage[] = [];
      takeUnread(b, s.name, LEGACY_CHECK_LIMIT, false, undefined, (rows) => {
        let bytes = ENVELOPE_BYTES;
        for (const row of rows) {
          const m = legacyMessage(row);
          bytes += Buffer.byteLength(JSON.stringify(m)) + 1;
          if (bytes > LEGACY_REPLY_BYTES && messages.length > 0) break;
          messages.push(m);
        }
        return messages.length;
      }, { budget: LEGACY_REPLY_BYTES, bytesPerUnit: 1 }); // a legacy message's JSON takes at least its UTF-8 bytes
      return { status: "ok", messages };
    }
    case "list": {
      // The first names that fit LEGACY_REPLY_BYTES: one reply a legacy client's one recv reads whole.
      if (!b.open) session(b, conn, req.session_token);
      const { instances } = list(b, conn, { op: "list", limit: LEGACY_LIST_LIMIT }) as { instances: Array<{ name: string; last_seen: string }> };
      const out: Array<{ id: string; last_seen: string }> = [];
      let bytes = ENVELOPE_BYTES;
      for (const i of instances) {
        const item = { id: i.name, last_seen: i.last_seen };
        bytes += Buffer.byteLength(JSON.stringify(item)) + 1;
        if (bytes > LEGACY_REPLY_BYTES) break;
        out.push(item);
      }
      return { status: "ok", instances: out };
    }
    case "rename": {
      const s = session(b, conn, req.session_token);
      // old_id is only a claim: a name that is not the caller's must not rename the caller instead.
      if (req.old_id !== undefined && req.old_id !== null && (typeof req.old_id !== "string" || normalizeName(req.old_id) !== s.name)) {
        const claimed = typeof req.old_id === "string" ? JSON.stringify(req.old_id.slice(0, 64)) : "(not a name)";
        return { status: "error", message: `old_id ${claimed} is not this session's name (${s.name}): you can rename only yourself; nothing was renamed` };
      }
      const newName = legacyName(req.new_id);
      const r = rename(b, conn, { op: "rename", new_name: newName }) as { old: string; new: string };
      return { status: "ok", message: `Renamed ${r.old} to ${r.new}` };
    }
  }
}

/** A stored message in the legacy `check` shape. */
function legacyMessage(row: MessageRow): LegacyMessage {
  const m = toMessage(row, false);
  return {
    from: m.from,
    to: m.to,
    timestamp: m.created_at,
    message: m.data === undefined ? { content: m.content } : { content: m.content, data: m.data },
  };
}

/** Validates a legacy instance id as an ipc name. */
function legacyName(id: string): string {
  const r = v.safeParse(Name, id);
  if (!r.success) throw new IpcError("INVALID_NAME", `Invalid instance ID: ${r.issues[0].message}`);
  return r.output;
}

/** Binds the connection to the session of `token`, or refuses with the legacy message. */
function session(b: Broker, conn: Connection, token: string | null | undefined) {
  if (typeof token !== "string" || token === "") throw new IpcError("UNAUTHENTICATED", LEGACY_BAD_TOKEN);
  const s = b.sessions.resolve(token, b.clock());
  if (s === null) throw new IpcError("UNAUTHENTICATED", LEGACY_BAD_TOKEN);
  const wait = b.sessions.bucketOf(s.name).take();
  if (wait > 0) throw new IpcError("RATE_LIMITED", `Rate limit exceeded: try again in ${wait} ms`, undefined, wait);
  b.registry.seen(s.name, b.clock());
  b.bind(conn, s);
  return s;
}
