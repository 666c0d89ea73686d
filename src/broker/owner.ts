/**
 * "Owner only": operations that hand over everything on the broker (the
 * dashboard's login) are for its owner alone — a local connection (TCP on
 * loopback or the Unix socket, never a network listener) that proved the
 * broker's key in IPC_HOME. A shared secret, a session token, a joined
 * machine or open mode is not enough (issue 22, hole 3).
 */
import { IpcError } from "../protocol/errors.ts";
import type { Connection } from "./connection.ts";

/** True when `conn` is the broker's owner: local, and proved the key. */
export function isOwner(conn: Connection): boolean {
  return conn.transport !== "tls" && conn.proved === "key";
}

/**
 * @throws IpcError FORBIDDEN, saying what to do, unless `conn` is the owner (see isOwner).
 * `what` names the operation (e.g. "`ipc ui`").
 */
export function requireOwner(conn: Connection, what: string): void {
  if (isOwner(conn)) return;
  const why =
    conn.transport === "tls"
      ? "a joined machine cannot ask for it"
      : conn.proved === "secret"
        ? "this connection proved the shared secret, not the broker's key (unset IPC_SHARED_SECRET to use the key)"
        : "this connection did not prove the broker's key";
  throw new IpcError("FORBIDDEN", `${what} is for the broker's owner only: ${why}. Run it on the broker's machine, as the user who runs the broker, with the same IPC_HOME`);
}
