/**
 * The outbox publisher (docs/cluster.md#3-invariants): publishes cross-broker
 * mail to JetStream in outbox order, pipelined over one connection, each with
 * its Nats-Msg-Id, and removes an outbox row only once JetStream acknowledged
 * it (stored on the stream's replicas). Failures are retried with backoff; a
 * retried id is dropped by JetStream's duplicate window.
 */
import type { Broker } from "../broker/broker.ts";
import { log } from "../broker/log.ts";
import type { Nats } from "./nats.ts";
import type { ClusterStore } from "./store.ts";

/** Rows published together (pipelined). */
const BATCH = 512;
const PUBLISH_TIMEOUT_MS = 5_000;
const MAX_BACKOFF_MS = 2_000;

export class Publisher {
  nats: Nats | null = null;
  private running = false;
  private again = false;
  private backoff = 0;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private readonly encoder = new TextEncoder();

  constructor(
    private readonly b: Broker,
    private readonly store: ClusterStore,
  ) {}

  /** Publishes what the outbox holds, now or after the running round. */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.nats === null || this.retry !== null) return;
    this.running = true;
    void this.round().finally(() => {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  stop(): void {
    if (this.retry !== null) clearTimeout(this.retry);
    this.retry = null;
    this.nats = null;
  }

  /** Publishes batches until the outbox is empty or a publish fails (then retries later). */
  private async round(): Promise<void> {
    for (let batches = 0; batches < 1_000; batches++) {
      const nats = this.nats;
      if (nats === null) return;
      // Rows deleted in the open transaction are already gone for this read (same connection).
      const rows = this.store.pending(BATCH);
      if (rows.length === 0) return;
      const results = await Promise.allSettled(
        rows.map((r) => nats.js.publish(r.subject, this.encoder.encode(r.payload), { msgID: r.msg_id, timeout: PUBLISH_TIMEOUT_MS })),
      );
      let failed: unknown = null;
      this.b.commit.begin();
      results.forEach((res, i) => {
        if (res.status === "fulfilled") this.store.published(rows[i]!.seq);
        else failed ??= res.reason;
      });
      if (failed !== null) {
        this.backoff = Math.min(MAX_BACKOFF_MS, Math.max(100, this.backoff * 2));
        log.warn(`cluster: publishing failed (${(failed as Error).message}); retrying in ${this.backoff} ms`);
        this.retry = setTimeout(() => {
          this.retry = null;
          this.kick();
        }, this.backoff);
        return;
      }
      this.backoff = 0;
    }
    this.again = true;
  }
}
