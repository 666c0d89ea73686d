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
import * as v from "valibot";
import { deliver } from "../broker/delivery/deliver.ts";
import { log } from "../broker/log.ts";
import { IpcError } from "../protocol/errors.ts";
import type { Nats } from "./nats.ts";
import { dropped, Wire } from "./records.ts";
import type { Signer } from "./space-key.ts";
import type { ClusterStore } from "./store.ts";
import { consumerName, recipientSubject, SIG_HEADER, streamName } from "./subjects.ts";

export type { Wire } from "./records.ts";

const ACK_WAIT_MS = 10_000;
/** Retry delay for a message to a full inbox. */
const FULL_INBOX_DELAY_MS = 5_000;

export class Consumers {
  nats: Nats | null = null;
  /** name → stops its consumer. */
  private readonly running = new Map<string, { stop(): void }>();
  /** Names whose durable consumer this process has already (re)created: see ensure(). */
  private readonly recreated = new Set<string>();
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly b: Broker,
    private readonly store: ClusterStore,
    private readonly space: string,
    private readonly signer: Signer,
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
      if (!this.recreated.has(name)) {
        // The first time this process runs the consumer (a restart, or the name moved here), it is made anew:
        // messages delivered to a previous holder (a killed broker) but never acked would otherwise come back
        // only after the ack wait, behind later ones. The stream is a work queue, so it holds exactly the
        // messages not yet acked, and a fresh consumer starts at the oldest of them: order is kept.
        await nats.jsm.consumers.delete(stream, consumerName(name)).catch(() => false);
        this.recreated.add(name);
      }
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
      // A consumer deleted under it (by hand, or by a NATS user who may) ends the loop, and it is made again (below).
      const iter = await consumer.consume({ max_messages: 256, expires: 5_000, abort_on_missing_resource: true });
      messages = iter;
      if (stopped) iter.stop();
      void (async () => {
        for await (const s of iter.status()) if (s.type === "consumer_deleted" || s.type === "consumer_not_found") iter.stop();
      })().catch(() => {});
      for await (const m of iter) {
        if (stopped) break;
        this.take(name, m);
      }
      if (!stopped) throw new Error("its consumer was deleted");
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
    this.recreated.delete(name);
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
    const body = this.decoder.decode(m.data);
    if (!this.signer.verify(m.headers?.get(SIG_HEADER), "msg", m.subject, body)) {
      dropped(`a message on ${m.subject} (stream seq ${m.seq}) not signed with this space's key (a NATS user without the key, or a broker of the space with another key: ipc cluster key)`);
      m.term();
      return;
    }
    let wires: unknown;
    try {
      wires = JSON.parse(body);
    } catch {
      wires = null;
    }
    if (!Array.isArray(wires)) {
      dropped(`an unreadable message on ${m.subject} (stream seq ${m.seq}): not a JSON array`);
      m.term();
      return;
    }
    const b = this.b;
    const now = b.clock();
    const recipient = b.registry.forwardOf(name, now) ?? name;
    let stored = false;
    for (const raw of wires) {
      const parsed = v.safeParse(Wire, raw);
      if (!parsed.success) {
        // The field, not the issue's text: that may quote what was received.
        const field = parsed.issues[0].path?.map((p) => String(p.key)).join(".") ?? "the message";
        dropped(`a malformed message on ${m.subject} (stream seq ${m.seq}): ${field} does not fit the schema`);
        continue;
      }
      const w = parsed.output;
      if (this.store.received(w.id)) continue;
      let id: number;
      try {
        const replyTo = w.reply === undefined ? null : this.store.localOf(w.reply);
        id = deliver(b, { sender: w.from, recipient, kind: w.kind, content: w.content, data: w.data, replyTo, ...(w.channel !== undefined && { channel: w.channel }) }).id;
      } catch (err) {
        if (err instanceof IpcError && err.code === "INBOX_FULL") {
          b.commit.afterCommit(() => m.nak(FULL_INBOX_DELAY_MS));
          return;
        }
        b.commit.abort(`a cross-broker message could not be stored: ${(err as Error).message}`);
        m.nak(1_000);
        return;
      }
      this.store.markReceived(w.id, now, id);
      stored = true;
    }
    if (stored) b.commit.afterCommit(() => m.ack());
    else m.ack();
  }
}
