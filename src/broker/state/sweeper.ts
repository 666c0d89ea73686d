/**
 * Timed housekeeping, never on the request path: flushes last-seen and
 * session times, expires sessions, forwardings and messages (docs/design.md#3-broker),
 * releases names nobody uses (IPC_RETAIN_NAME_DAYS), and removes
 * large-message files with their messages. Runs inside the group
 * commit like any other write. (The search index catches up on its own timer.)
 */
import { type ExpiredRow, RetentionStore } from "../../store/retention.ts";
import type { Broker } from "../broker.ts";
import { removeLargeMessage } from "../delivery/large-messages.ts";
import { log } from "../log.ts";

/** Most messages deleted per sweep. */
const BATCH = 5_000;
const DAY_MS = 86_400_000;

/** What one sweep did. */
export interface SweepReport {
  sessions: number;
  forwards: number;
  futureMessages: number;
  readMessages: number;
  /** Names released: no session, no unread mail, no activity for IPC_RETAIN_NAME_DAYS. */
  names: number;
}

export class Sweeper {
  private readonly retention: RetentionStore;

  constructor(private readonly b: Broker) {
    this.retention = new RetentionStore(b.db);
  }

  /** Runs one sweep at the broker clock's `now` and commits it. */
  sweep(): SweepReport {
    const b = this.b;
    const now = b.clock();
    const { retention: r } = b.config;
    b.commit.begin();
    b.registry.flushLastSeen();
    // A session bound to a live connection is in use (a watcher or an MCP server listening for pushes).
    for (const conn of b.connections) if (conn.session !== null) conn.session.lastUsed = now;
    b.sessions.flush();
    const sessions = b.sessions.expire(now);
    const forwards = b.instances.expireForwards(now);
    for (const [old, f] of b.registry.forwards) if (f.expiresAt <= now) b.registry.forwards.delete(old);
    let future = 0;
    for (const name of b.registry.unreadRecipients()) {
      if (b.registry.isRegistered(name) || future >= BATCH) continue;
      future += this.remove(this.retention.expiredFuture(name, now - r.futureDays * DAY_MS, BATCH - future), true);
    }
    const read = this.remove(this.retention.expiredRead(now - r.readDays * DAY_MS, BATCH), false);
    const names = r.nameDays > 0 ? this.releaseNames(now, now - r.nameDays * DAY_MS) : 0;
    b.commit.flush();
    b.registrations.prune();
    const report = { sessions, forwards, futureMessages: future, readMessages: read, names };
    if (sessions + forwards + future + read + names > 0) {
      log.info(`sweep: expired ${sessions} sessions, ${forwards} forwardings, ${future} future and ${read} read messages, ${names} names`);
    }
    return report;
  }

  /**
   * Releases up to BATCH names last active before `cutoff` that have no
   * session, no unread mail, no live connection and no forwarding leading to
   * them. Their identities are never reused, so whoever registers the name
   * later starts with an empty history.
   */
  private releaseNames(now: number, cutoff: number): number {
    const { registry, sessionStore } = this.b;
    const targets = new Set<string>();
    for (const f of registry.forwards.values()) if (f.expiresAt > now) targets.add(f.to);
    const idle: string[] = [];
    for (const i of registry.instances.values()) {
      if (idle.length >= BATCH) break;
      if (i.lastSeen >= cutoff || registry.isConnected(i.name) || registry.unreadOf(i.name) > 0) continue;
      if (targets.has(i.name) || sessionStore.hasName(i.name)) continue;
      idle.push(i.name);
    }
    for (const name of idle) registry.release(name);
    return idle.length;
  }

  private remove(rows: ExpiredRow[], unread: boolean): number {
    const b = this.b;
    for (const row of rows) {
      b.search.forget(row);
      this.retention.delete(row.id);
      b.registry.messageCount--;
      if (unread) b.registry.addUnread(row.recipient, -1);
      const file = row.large_file;
      if (file !== null) b.commit.afterCommit(() => removeLargeMessage(file));
    }
    return rows.length;
  }
}
