/**
 * The cluster's tables in the broker's own store (migration 7, docs/cluster.md#1-what-lives-where):
 * this broker's node id, the outbox of cross-broker mail not yet acknowledged
 * by JetStream, and the ids of cross-broker messages already committed here.
 */
import type { Database, Statement } from "bun:sqlite";

/** One outbox row: publish `payload` (JSON text) to `subject` with Nats-Msg-Id `msg_id`. */
export interface OutboxRow {
  seq: number;
  msg_id: string;
  subject: string;
  payload: string;
}

export class ClusterStore {
  /** This broker's id in the cluster (random hex, made once, kept). */
  readonly node: string;
  private readonly sAdd: Statement;
  private readonly sPending: Statement<OutboxRow>;
  private readonly sDone: Statement;
  private readonly sCount: Statement<{ n: number }>;
  private readonly sSeen: Statement<{ one: number }>;
  private readonly sMark: Statement;
  private readonly sSweep: Statement;
  private readonly sOriginOf: Statement<{ origin: string }>;
  private readonly sLocalOf: Statement<{ message_id: number }>;

  constructor(db: Database) {
    const row = db.query("SELECT id FROM cluster_node").get() as { id: string } | null;
    if (row === null) {
      this.node = Buffer.from(crypto.getRandomValues(new Uint8Array(8))).toString("hex");
      db.query("INSERT INTO cluster_node (singleton, id) VALUES (1, ?)").run(this.node);
    } else {
      this.node = row.id;
    }
    this.sAdd = db.prepare("INSERT INTO cluster_outbox (msg_id, subject, payload) VALUES (?, ?, ?)");
    this.sPending = db.prepare("SELECT seq, msg_id, subject, payload FROM cluster_outbox ORDER BY seq LIMIT ?");
    this.sDone = db.prepare("DELETE FROM cluster_outbox WHERE seq = ?");
    this.sCount = db.prepare("SELECT count(*) AS n FROM cluster_outbox");
    this.sSeen = db.prepare("SELECT 1 AS one FROM cluster_received WHERE origin = ?");
    this.sMark = db.prepare("INSERT INTO cluster_received (origin, received_at, message_id) VALUES (?, ?, ?)");
    this.sOriginOf = db.prepare("SELECT origin FROM cluster_received WHERE message_id = ?");
    // A message's ref and every origin that extends it (`<ref>.<suffix>`): '/' sorts right after '.'.
    this.sLocalOf = db.prepare("SELECT message_id FROM cluster_received WHERE origin >= ?1 AND origin < ?1 || '/' AND message_id IS NOT NULL ORDER BY message_id LIMIT 1");
    this.sSweep = db.prepare("DELETE FROM cluster_received WHERE received_at < ?");
  }

  /** Queues one publish; call inside the transaction that stores the sender's copy. */
  enqueue(msgId: string, subject: string, payload: string): void {
    this.sAdd.run(msgId, subject, payload);
  }

  /** The oldest `limit` rows not yet acknowledged by JetStream, in publish order. */
  pending(limit: number): OutboxRow[] {
    return this.sPending.all(limit);
  }

  /** JetStream acknowledged `seq`: call inside a transaction. */
  published(seq: number): void {
    this.sDone.run(seq);
  }

  outboxLength(): number {
    return this.sCount.get()!.n;
  }

  /** True when the cross-broker message `origin` was already committed here. */
  received(origin: string): boolean {
    return this.sSeen.get(origin) !== null;
  }

  /** Records `origin` as committed here as message `messageId`; call in the transaction that stores it (the primary key refuses a second). */
  markReceived(origin: string, now: number, messageId: number): void {
    this.sMark.run(origin, now, messageId);
  }

  /** The id local message `messageId` crossed with (its Nats-Msg-Id), or this broker's id for it when it never crossed. */
  originOf(messageId: number): string {
    return this.sOriginOf.get(messageId)?.origin ?? `${this.node}.${messageId}`;
  }

  /**
   * The cluster-wide id of local message `messageId` (`<node>.<id>` of the
   * message as its sender's broker stored it): a cross-broker message's origin
   * cut to its first two parts, else this broker's own id for it.
   */
  refOf(messageId: number): string {
    const origin = this.sOriginOf.get(messageId)?.origin;
    if (origin === undefined) return `${this.node}.${messageId}`;
    const [node, id] = origin.split(".", 2);
    return `${node}.${id}`;
  }

  /** The local message a cluster-wide ref names (see refOf), or null when it never came here. */
  localOf(ref: string): number | null {
    const dot = ref.indexOf(".");
    if (ref.slice(0, dot) === this.node) {
      const id = Number(ref.slice(dot + 1));
      return Number.isSafeInteger(id) && id > 0 ? id : null;
    }
    return this.sLocalOf.get(ref)?.message_id ?? null;
  }

  /**
   * Forgets received ids older than `before` (ms): no redelivery can come
   * after the stream's max age (7 days), so ids older than that guard nothing.
   * Call inside a transaction. Returns how many.
   */
  sweep(before: number): number {
    return this.sSweep.run(before).changes;
  }
}
