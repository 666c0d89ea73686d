/** list and status: who exists, and facts about the broker. */
import { paths } from "../../config.ts";
import { PROTOCOL_VERSION, VERSION } from "../../version.ts";
import { iso } from "../present.ts";
import type { OpHandler } from "./types.ts";

/** An instance seen within this window counts as online even without a live connection (ms). */
export const ONLINE_WINDOW_MS = 5 * 60_000;

export const list: OpHandler<"list"> = (b) => {
  const now = b.clock();
  const instances = [...b.registry.instances.values()]
    .sort((x, y) => (x.name < y.name ? -1 : 1))
    .map((i) => ({
      name: i.name,
      last_seen: iso(i.lastSeen),
      online: b.registry.isConnected(i.name) || now - i.lastSeen < ONLINE_WINDOW_MS,
      unread: b.registry.unreadOf(i.name),
    }));
  return { instances };
};

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
