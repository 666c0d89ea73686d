/** list and status: who exists, and facts about the broker. */
import { paths } from "../../config.ts";
import { PROTOCOL_VERSION, VERSION } from "../../version.ts";
import type { Instance } from "../../protocol/responses.ts";
import type { Broker } from "../broker.ts";
import { iso } from "../delivery/present.ts";
import { isHeld } from "../state/seats.ts";
import type { OpHandler } from "./types.ts";

/**
 * One page of registered instances by name (IPC_LIST_PAGE unless the request
 * sets `limit`), with `next_cursor` and `more` when more follow, and `total`. A client
 * that knows no paging gets the first page: the reply stays bounded.
 * Online means held now: a live connection, or a session whose seat (its host
 * process, docs/identity.md) is alive — not merely seen lately, so a name an
 * import brought in or a host's health check registered and left is offline.
 */
export const list: OpHandler<"list"> = (b, _conn, req) => {
  const now = b.clock();
  const limit = req.limit ?? Math.min(1000, Math.max(1, b.config.limits.listPageSize));
  // On a cluster, names homed on other brokers are listed too (docs/cluster.md).
  const remote = b.cluster?.remoteInstances() ?? [];
  if (remote.length > 0) return clusterPage(b, remote, req.cursor, limit, now);
  const { page, next, more } = b.registry.page(req.cursor, limit);
  const held = b.sessions.heldNames(now, isHeld);
  const instances = page.map((i) => ({
    name: i.name,
    last_seen: iso(i.lastSeen),
    online: b.registry.isConnected(i.name) || held.has(i.name),
    unread: b.registry.unreadOf(i.name),
  }));
  return next === null
    ? { instances, total: b.registry.instances.size }
    : { instances, next_cursor: next, more, total: b.registry.instances.size };
};

/**
 * One page of this broker's names and those homed on other brokers (online and unread as of their home's
 * last heartbeat, at most 5 s old). For a name homed elsewhere, its home's entry is the truth.
 */
function clusterPage(b: Broker, remote: ReturnType<NonNullable<Broker["cluster"]>["remoteInstances"]>, cursor: string | undefined, limit: number, now: number) {
  const all = new Map<string, Instance>();
  const held = b.sessions.heldNames(now, isHeld);
  for (const r of remote) all.set(r.name, { name: r.name, last_seen: iso(r.lastSeen), online: r.online, unread: r.unread });
  for (const i of b.registry.instances.values()) {
    if (all.has(i.name) && !held.has(i.name)) continue;
    all.set(i.name, { name: i.name, last_seen: iso(i.lastSeen), online: b.registry.isConnected(i.name) || held.has(i.name), unread: b.registry.unreadOf(i.name) });
  }
  const names = [...all.keys()].sort().filter((n) => cursor === undefined || n > cursor);
  const instances = names.slice(0, limit).map((n) => all.get(n)!);
  const more = names.length - instances.length;
  return more === 0 ? { instances, total: all.size } : { instances, next_cursor: instances[instances.length - 1]!.name, more, total: all.size };
}

export const status: OpHandler<"status"> = (b) => {
  return {
    version: VERSION,
    protocol: PROTOCOL_VERSION,
    pid: process.pid,
    uptime_s: Math.round((Date.now() - b.startedAt) / 1000),
    host: b.address.host,
    port: b.address.port,
    socket: b.address.socket,
    secure: b.secure,
    open: b.open,
    shared_secret: b.config.secret !== null,
    key: paths.key(b.config),
    ...(b.tls !== null && { tls: b.tls }),
    limits: { ...b.config.limits },
    ...(b.cluster !== null && { cluster: b.cluster.status() }),
    database: paths.database(b.config),
    home: b.config.home,
    counts: {
      instances: b.registry.instances.size,
      messages: b.registry.messageCount,
      unread: b.registry.totalUnread(),
      connections: b.connections.size,
    },
  };
};
