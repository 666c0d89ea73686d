/**
 * Timed housekeeping, never on the request path: flushes last-seen and
 * session times, expires sessions, forwardings and messages (DESIGN.md §3),
 * and removes large-message files with their messages. Runs inside the group
 * commit like any other write. (The search index catches up on its own timer.)
 */
import { type ExpiredRow, RetentionStore } from "../store/retention.ts";
import type { Broker } from "./broker.ts";
import { removeLargeMessage } from "./large-messages.ts";
import { log } from "./log.ts";

/** Most messages deleted per sweep. */
const BATCH = 5_000;
const DAY_MS = 86_400_000;

/** What one sweep did. */
export interface SweepReport {
  sessions: number;
  forwards: number;
  futureMessages: number;
  readMessages: number;
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
    b.commit.flush();
    b.registrations.prune();
    const report = { sessions, forwards, futureMessages: future, readMessages: read };
    if (sessions + forwards + future + read > 0) {
      log.info(`sweep: expired ${sessions} sessions, ${forwards} forwardings, ${future} future and ${read} read messages`);
    }
    return report;
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
