/**
 * A name in its forwarding window (after its holder renamed away) is reserved
 * for the session that renamed away from it (issue 10, hole 9): anyone else
 * registering it would end the forwarding, take the mail meant for the old
 * holder and pose as them.
 */
import { IpcError } from "../../protocol/errors.ts";
import type { Broker } from "../broker.ts";
import type { Connection } from "../edge/connection.ts";
import { iso } from "../delivery/present.ts";

/**
 * Refuses registering `name` while it forwards to another name, unless the
 * caller acts as that name (its connection's session, or the request's `token`).
 * @throws IpcError CONFLICT naming the new name and when the old one frees up.
 */
export function refuseReserved(b: Broker, conn: Connection, name: string, token: string | undefined): void {
  const now = b.clock();
  const to = b.registry.forwardOf(name, now);
  if (to === null) return;
  const own = token === undefined ? null : b.sessions.resolve(token, now);
  const caller = own ?? (conn.session !== null && !b.sessions.expired(conn.session, now) ? conn.session : null);
  if (caller?.name === to) return;
  const until = iso(b.registry.forwards.get(name)!.expiresAt);
  throw new IpcError(
    "CONFLICT",
    `${name} was renamed to ${to}; until ${until} (IPC_FORWARD_HOURS) messages to ${name} go to ${to} and only ${to} may take the name back: pick another name, or register ${name} after ${until}`,
  );
}
