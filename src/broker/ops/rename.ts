/**
 * rename: only the session's own name, at most once per hour. Moves the
 * unread inbox, the sessions, live waiters and subscribers; the old name
 * forwards to the new one for IPC_FORWARD_HOURS (persisted); every other
 * registered instance gets a `system` message.
 */
import { IpcError } from "../../protocol/errors.ts";
import { SYSTEM_SENDER } from "../../protocol/names.ts";
import { deliver } from "../delivery/deliver.ts";
import type { OpHandler } from "./types.ts";

/** Minimum time between two renames of one instance (ms). */
export const RENAME_INTERVAL_MS = 3_600_000;

export const rename: OpHandler<"rename"> = (b, conn, req) => {
  const s = b.requireSession(conn, req.token);
  const from = s.name;
  const to = req.new_name;
  const now = b.clock();
  if (to === from) throw new IpcError("BAD_REQUEST", `you are already ${from}`);
  if (b.registry.isRegistered(to)) throw new IpcError("CONFLICT", `${to} is taken by another instance: pick another name`);
  const fwd = b.registry.forwardOf(to, now);
  if (fwd !== null && fwd !== from) {
    throw new IpcError("CONFLICT", `${to} was just renamed and forwards to ${fwd} until ${new Date(b.registry.forwards.get(to)!.expiresAt).toISOString()}: pick another name`);
  }
  const renamedAt = b.registry.instances.get(from)?.renamedAt ?? null;
  if (renamedAt !== null && now - renamedAt < RENAME_INTERVAL_MS) {
    const wait = RENAME_INTERVAL_MS - (now - renamedAt);
    throw new IpcError("RATE_LIMITED", `${from} was renamed less than an hour ago; try again in ${Math.ceil(wait / 60_000)} min`, undefined, wait);
  }
  const expiresAt = now + b.config.retention.forwardHours * 3_600_000;

  b.commit.begin();
  b.instances.rename(from, to, now);
  b.sessionStore.rename(from, to);
  b.claims.rename(from, to);
  b.channels.rename(from, to);
  b.messages.moveUnread(from, to);
  b.instances.deleteForward(to);
  b.registry.forwards.delete(to);
  b.instances.setForward(from, to, expiresAt);
  b.registry.rename(from, to, now);
  b.registry.forwards.set(from, { to, expiresAt });
  b.sessions.rename(from, to);
  b.waiters.rename(from, to);
  b.cluster?.renamed(from, to, expiresAt);

  const hours = b.config.retention.forwardHours;
  const content = `${from} is now ${to}. Messages to ${from} are forwarded to ${to} for the next ${hours} hour${hours === 1 ? "" : "s"}.`;
  const data = JSON.stringify({ event: "rename", old: from, new: to });
  for (const other of [...b.registry.instances.keys()]) {
    if (other === to) continue;
    try {
      deliver(b, { sender: SYSTEM_SENDER, recipient: other, kind: "system", content, data, replyTo: null });
    } catch {
      // A full inbox misses the notice; the forwarding still works.
    }
  }
  return { old: from, new: to };
};
