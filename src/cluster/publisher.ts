/**
 * The outbox publisher (docs/cluster.md#3-invariants): publishes cross-broker
 * mail to JetStream in outbox order, pipelined over one connection. Rows for
 * one recipient that follow each other go as one stream message (a JSON array,
 * up to BUNDLE messages or BUNDLE_BYTES), with a Nats-Msg-Id naming its rows;
 * an outbox row is removed only once JetStream acknowledged it (stored on the
 * stream's replicas). Failures are retried with backoff; a retried bundle is
 * dropped by JetStream's duplicate window, or message by message by the
 * recipient's received ids when it was cut differently.
 */
import type { Broker } from "../broker/broker.ts";
import { log } from "../broker/log.ts";
import type { Nats } from "./nats.ts";
import type { Signer } from "./space-key.ts";
import type { ClusterStore, OutboxRow } from "./store.ts";
import { SIG_HEADER } from "./subjects.ts";

/** Rows read and published together (pipelined). */
const BATCH = 2048;
/** Messages for one recipient in one stream message at most, and their bytes (well under NATS's 1 MB max_payload). */
const BUNDLE = 128;
const BUNDLE_BYTES = 256 * 1024;
const PUBLISH_TIMEOUT_MS = 5_000;
/** A round that found fewer rows than this waits GATHER_MS before reading the outbox again. */
const GATHER = 64;
const GATHER_MS = 3;
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
    private readonly signer: Signer,
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
      const bundles = bundle(rows);
      const results = await Promise.allSettled(
        bundles.map((g) => {
          const subject = g[0]!.subject;
          const body = `[${g.map((r) => r.payload).join(",")}]`;
          // Signed with the space key (space-key.ts): the recipient's broker drops what it cannot verify.
          const headers = nats.headers();
          headers.set(SIG_HEADER, this.signer.sign("msg", subject, body));
          return nats.js.publish(subject, this.encoder.encode(body), {
            msgID: g.length === 1 ? g[0]!.msg_id : `${g[0]!.msg_id}..${g[g.length - 1]!.msg_id}`,
            timeout: PUBLISH_TIMEOUT_MS,
            headers,
          });
        }),
      );
      let failed: unknown = null;
      this.b.commit.begin();
      results.forEach((res, i) => {
        if (res.status === "fulfilled") for (const r of bundles[i]!) this.store.published(r.seq);
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
      // Under load, let a few milliseconds of mail gather: fewer, fuller bundles cost the event loop far less than many small ones.
      // (A lone message never waits: the first round starts at once.)
      if (rows.length < GATHER) await Bun.sleep(GATHER_MS);
    }
    this.again = true;
  }
}

/** Cuts `rows` (in outbox order) into runs of one subject, each at most BUNDLE rows and about BUNDLE_BYTES. */
function bundle(rows: OutboxRow[]): OutboxRow[][] {
  const out: OutboxRow[][] = [];
  let run: OutboxRow[] = [];
  let bytes = 0;
  for (const r of rows) {
    if (run.length > 0 && (r.subject !== run[0]!.subject || run.length >= BUNDLE || bytes + r.payload.length > BUNDLE_BYTES)) {
      out.push(run);
      run = [];
      bytes = 0;
    }
    run.push(r);
    bytes += r.payload.length;
  }
  if (run.length > 0) out.push(run);
  return out;
}
