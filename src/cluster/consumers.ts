/**
 * One durable pull consumer per name whose home is this broker
 * (docs/cluster.md#2-message-flows): each message is committed into the
 * store with the ordinary deliver() (waking a held check or a subscriber),
 * its id recorded in cluster_received in the same transaction, and acked to
 * JetStream only after COMMIT. A redelivery of a committed id is acked and
 * dropped: exactly once in the inbox.
 */
import type { JsMsg } from "@nats-io/jetstream";
import type { Broker } from "../broker/broker.ts";
import { deliver } from "../broker/deliver.ts";
import { log } from "../broker/log.ts";
import type { MessageKind } from "../protocol/message.ts";
import { IpcError } from "../protocol/errors.ts";
import type { Nats } from "./nats.ts";
import type { ClusterStore } from "./store.ts";
import { consumerName, recipientSubject, streamName } from "./subjects.ts";

/** A cross-broker message as published (JSON). `id` is its Nats-Msg-Id. */
export interface Wire {
  id: string;
  from: string;
  to: string;
  kind: MessageKind;
  content: string;
  data: string | null;
  created_at: number;
  /** A channel post's copy for `to`: the channel ('#name'). */
  channel?: string;
}

const ACK_WAIT_MS = 10_000;
/** Retry delay for a message to a full inbox. */
const FULL_INBOX_DELAY_MS = 5_000;

export class Consumers {
  nats: Nats | null = null;
  /** name → stops its consumer. */
  private readonly running = new Map<string, { stop(): void }>();
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly b: Broker,
    private readonly store: ClusterStore,
    private readonly space: string,
  ) {}

  get count(): number {
    return this.running.size;
  }

  /** Runs `name`'s consumer here (no-op when running). */
  ensure(name: string): void {
    const nats = this.nats;
    if (nats === null || this.running.has(name)) return;
    let stopped = false;
    let messages: { stop(): void } | null = null;
    this.running.set(name, {
      stop: () => {
        stopped = true;
        messages?.stop();
      },
    });
    void (async () => {
      const { AckPolicy, DeliverPolicy } = nats.jsmod;
      const stream = streamName(this.space);
      await nats.jsm.consumers.add(stream, {
        durable_name: consumerName(name),
        filter_subject: recipientSubject(this.space, name),
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: nats.nanos(ACK_WAIT_MS),
        max_ack_pending: 1024,
      });
      const consumer = await nats.js.consumers.get(stream, consumerName(name));
      if (stopped) return;
      // Short pull expiry: after a crash, what the server still sends to the dead broker's pulls comes back within ACK_WAIT + expires.
      const iter = await consumer.consume({ max_messages: 256, expires: 5_000 });
      messages = iter;
      if (stopped) iter.stop();
      for await (const m of iter) {
        if (stopped) break;
        this.take(name, m);
      }
    })().catch((err: unknown) => {
      log.warn(`cluster: the consumer of ${name} stopped (${(err as Error).message}); retrying`);
      this.running.delete(name);
      if (!stopped) setTimeout(() => this.ensure(name), 1_000);
    });
  }

  /** Stops `name`'s consumer here (its home moved to another broker). */
  drop(name: string): void {
    this.running.get(name)?.stop();
    this.running.delete(name);
  }

  stopAll(): void {
    for (const r of this.running.values()) r.stop();
    this.running.clear();
  }

  /**
   * Commits one stream message for `name` (a JSON array of messages, see
   * publisher.ts), following a forwarding left by a rename here; acked after
   * COMMIT. Messages already received are skipped; a full inbox naks the rest
   * for later (what was stored stays, marked received).
   */
  private take(name: string, m: JsMsg): void {
    let wires: Wire[];
    try {
      wires = JSON.parse(this.decoder.decode(m.data)) as Wire[];
      if (!Array.isArray(wires)) throw new Error("not an array");
    } catch {
      log.warn(`cluster: dropped an unreadable message on ${m.subject}`);
      m.term();
      return;
    }
    const b = this.b;
    const now = b.clock();
    const recipient = b.registry.forwardOf(name, now) ?? name;
    let stored = false;
    for (const w of wires) {
      if (this.store.received(w.id)) continue;
      try {
        deliver(b, { sender: w.from, recipient, kind: w.kind, content: w.content, data: w.data, replyTo: null, ...(w.channel !== undefined && { channel: w.channel }) });
      } catch (err) {
        if (err instanceof IpcError && err.code === "INBOX_FULL") {
          b.commit.afterCommit(() => m.nak(FULL_INBOX_DELAY_MS));
          return;
        }
        b.commit.abort(`a cross-broker message could not be stored: ${(err as Error).message}`);
        m.nak(1_000);
        return;
      }
      this.store.markReceived(w.id, now);
      stored = true;
    }
    if (stored) b.commit.afterCommit(() => m.ack());
    else m.ack();
  }
}
