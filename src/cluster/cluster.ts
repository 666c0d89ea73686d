/**
 * The broker's cluster (docs/cluster.md): started by `ipc serve --nats`,
 * seen by the broker only through ClusterLink. Connects in the background
 * (the broker serves its local agents meanwhile), keeps the directory,
 * heartbeats the names held here, runs the consumers of the names whose home
 * is here and publishes the outbox.
 */
import type { Broker } from "../broker/broker.ts";
import type { ClaimOutcome, ClusterLink } from "../broker/cluster-link.ts";
import { log } from "../broker/log.ts";
import { isHeld } from "../broker/state/seats.ts";
import type { ClusterSettings } from "../config.ts";
import { IpcError } from "../protocol/errors.ts";
import type { MessageKind } from "../protocol/message.ts";
import { ChannelMembers } from "./channels.ts";
import type { ClaimRow } from "../store/claims.ts";
import { ClusterClaims } from "./claims.ts";
import { Consumers, type Wire } from "./consumers.ts";
import { Directory, type Entry, STALE_MS } from "./directory.ts";
import { handOver } from "./handover.ts";
import { connectNats, type Nats, NatsRefused, openSpace, proveMembership, spaceMarker } from "./nats.ts";
import { Publisher } from "./publisher.ts";
import { readSpaceKey, Signer } from "./space-key.ts";
import { ClusterStore } from "./store.ts";
import { recipientSubject, SPACE_MARKER, streamName } from "./subjects.ts";

/** Tries of opening the space (backoff 0.25 s → 5 s: about 30 s) before a clustered server's stream may fall back to one replica. */
const SETTLE_ATTEMPTS = 9;
/** How long a broker refused by the space (another space key) waits before it asks again (ms). */
const REFUSED_RETRY_MS = 10_000;
/** How often the names held here are rewritten in the directory (ms). */
const HEARTBEAT_MS = 5_000;
/** Received ids are kept a day beyond the stream's 7-day max age, and swept every 10 minutes. */
const RECEIVED_KEEP_MS = 8 * 24 * 3_600_000;
const SWEEP_EVERY = 120;

class Cluster implements ClusterLink {
  readonly store: ClusterStore;
  readonly directory: Directory;
  readonly publisher: Publisher;
  readonly consumers: Consumers;
  readonly channels: ChannelMembers;
  readonly claims: ClusterClaims;
  private nats: Nats | null = null;
  private stopped = false;
  /** Messages in the stream (not yet committed by their recipients' brokers), as of the last heartbeat. */
  private pending: number | undefined = undefined;
  /** Between a NATS disconnect and the reconnect. */
  private reconnecting = false;
  /** Why this broker stays out of the space (an unsafe NATS connection, another space key), or null. */
  private refused: string | null = null;
  /** Signs and checks every record with the space key. */
  private readonly signer: Signer;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly b: Broker,
    private readonly settings: ClusterSettings,
  ) {
    const signer = new Signer(readSpaceKey(settings.keyFile, settings.space));
    this.store = new ClusterStore(b.db);
    this.directory = new Directory(this.store.node, signer, (name, entry) => this.changed(name, entry));
    this.publisher = new Publisher(b, this.store, signer);
    this.consumers = new Consumers(b, this.store, settings.space, signer);
    this.channels = new ChannelMembers(b, this.store, this.directory, this.publisher, settings.space, signer);
    this.claims = new ClusterClaims(this.directory, () => this.connected, settings, signer);
    this.signer = signer;
    this.timer = setInterval(() => this.heartbeat(), HEARTBEAT_MS);
    void this.join();
  }

  /** Stays out of the space for `why` (logged as an error, once; status and doctor show it). */
  private refuse(why: string): void {
    if (this.refused !== why) log.error(`cluster: not joining space ${this.settings.space}: ${why}`);
    this.refused = why;
  }

  /** Connects and opens the space (proving this broker's key is the space's), retrying with backoff until it works or the broker stops. */
  private async join(): Promise<void> {
    const nc = await connectNats(this.settings, `ipc ${this.store.node}`).catch((err: unknown) => {
      if (err instanceof NatsRefused) this.refuse(err.message);
      else log.error(`cluster: cannot connect to ${this.settings.servers.join(",")}: ${(err as Error).message}`);
      return null;
    });
    if (nc === null) return;
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === "disconnect") this.reconnecting = true;
        if (s.type === "disconnect") log.warn(`cluster: lost NATS (${this.settings.servers.join(",")}); cross-broker mail waits in the outbox`);
        if (s.type === "reconnect") {
          this.reconnecting = false;
          log.info("cluster: NATS is back");
          this.publisher.kick();
        }
      }
    })();
    let wait = 250;
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        const nats = await openSpace(nc, this.settings.space, attempt >= SETTLE_ATTEMPTS);
        await proveMembership(nats, this.settings.space, this.signer);
        this.refused = null;
        this.nats = nats;
        this.publisher.nats = nats;
        this.consumers.nats = nats;
        await this.directory.open(nats, this.settings.space);
        await this.channels.open(nats);
        await this.claims.open(nats);
        log.info(`cluster: joined space ${this.settings.space} as node ${this.store.node} (stream ${streamName(this.settings.space)}, R${nats.replicas})`);
        this.heartbeat();
        this.publisher.kick();
        return;
      } catch (err) {
        if (err instanceof NatsRefused) {
          // Another key's brokers hold the space: try again later (they may all stop, for a key rotation).
          this.refuse(err.message);
          await Bun.sleep(REFUSED_RETRY_MS);
          continue;
        }
        if (attempt % 10 === 0) log.warn(`cluster: JetStream not ready (${(err as Error).message}); retrying`);
        await Bun.sleep(wait);
        wait = Math.min(wait * 2, 5_000);
      }
    }
    await nc.close();
  }

  /**
   * A directory change: run the consumer of a name whose home is here, stop it when the home moved; revoke
   * sessions that lost the name, and hand its unread mail here over to its new home.
   */
  private changed(name: string, entry: Entry | null): void {
    if (entry !== null && entry.broker === this.store.node) this.consumers.ensure(name);
    else this.consumers.drop(name);
    if (entry === null || entry.broker === this.store.node || entry.forward !== undefined || !this.b.registry.isRegistered(name)) return;
    if (this.directory.heldElsewhere(name, Date.now())) this.yieldName(name);
    if (!this.heldHere(name, this.b.clock())) this.moveMail(name);
  }

  /** `name` lives on another broker now: its unread mail here follows it (handover.ts). */
  private moveMail(name: string): void {
    if (this.b.registry.unreadOf(name) === 0 || this.nats === null) return;
    const moved = handOver(this.b, this.store, this.settings.space, name);
    if (moved === 0) return;
    log.info(`cluster: ${name} lives on another broker now; ${moved} unread message${moved === 1 ? "" : "s"} handed over to it`);
    this.b.commit.afterCommit(() => this.publisher.kick());
  }

  /** Another broker holds `name`: the live sessions here lose it (one holder cluster-wide). */
  private yieldName(name: string): void {
    const b = this.b;
    for (const s of b.sessions.of(name, b.clock())) {
      if (!isHeld(s)) continue;
      log.warn(`cluster: ${name} is held on another broker; its session here ends`);
      for (const c of b.connections) if (c.session === s) b.unbind(c);
      b.sessions.revoke(s);
    }
  }

  /** True while NATS is reachable and the space is open. */
  private get connected(): boolean {
    return this.nats !== null && !this.nats.nc.isClosed() && !this.reconnecting;
  }

  /** True when a live session here holds `name`. */
  private heldHere(name: string, now: number): boolean {
    return this.b.sessions.of(name, now).some(isHeld);
  }

  private beats = 0;

  /** Rewrites the entries of the names held here (and marks those no longer held not live); now and then sweeps received ids. */
  private heartbeat(): void {
    if (this.beats++ % SWEEP_EVERY === 0) {
      this.b.commit.begin();
      this.store.sweep(Date.now() - RECEIVED_KEEP_MS);
    }
    if (this.nats === null) return;
    const now = Date.now();
    const me = this.store.node;
    for (const name of this.b.registry.instances.keys()) {
      const held = this.heldHere(name, now);
      const known = this.directory.entries.get(name)?.entry;
      if (!held && known !== undefined && known.broker !== me && known.forward === undefined) {
        this.moveMail(name); // mail that came here after the name moved (a race with the move) follows it
        continue;
      }
      if (held && this.directory.heldElsewhere(name, now)) continue;
      const mine = known !== undefined && known.broker === me && known.forward === undefined;
      const unread = this.b.registry.unreadOf(name);
      const same = mine && known.live === held && (known.unread ?? 0) === unread;
      if (!held && (!mine || same)) continue;
      if (held && same && now - known.at < HEARTBEAT_MS / 2) continue;
      void this.directory.write(name, { broker: me, live: held, at: now, unread });
    }
    this.publisher.kick();
    // The space marker stays fresh while a broker of this key lives (nats.ts proveMembership): every 4th beat (20 s, a third of its staleness).
    if (this.beats % 4 === 1) void this.nats.kv.put(SPACE_MARKER, spaceMarker(this.settings.space, this.signer)).catch(() => {});
    void this.nats.jsm.streams.info(streamName(this.settings.space)).then(
      (info) => (this.pending = info.state.messages),
      () => {},
    );
  }

  readonly send: ClusterLink["send"] = (sender, to, content, data, replyTo, forwarded) => {
    const now = this.b.clock();
    const fwd = forwarded ? null : this.directory.forwardOf(to, now);
    const recipient = fwd ?? to;
    const home = this.directory.homeOf(recipient);
    const local = home === null ? this.b.registry.isRegistered(recipient) : home === this.store.node;
    if (local) return null;
    const id = this.outgoing(sender, recipient, "direct", content, data, now, replyTo);
    return { message_id: id, to: recipient, status: fwd !== null || forwarded ? "forwarded" : home === null ? "future" : "queued" };
  };

  broadcast(sender: string, content: string, data: string | null, local: ReadonlySet<string>): number[] {
    const now = this.b.clock();
    const ids: number[] = [];
    for (const name of this.directory.remoteNames()) {
      if (name === sender || local.has(name)) continue;
      ids.push(this.outgoing(sender, name, "broadcast", content, data, now, null));
    }
    return ids;
  }

  /** Stores the sender's copy (read: it is history, not an inbox) and its outbox row in the open transaction; publishes after COMMIT. */
  private outgoing(sender: string, recipient: string, kind: MessageKind, content: string, data: string | null, now: number, replyTo: number | null): number {
    const b = this.b;
    // A stream message must fit NATS's max_payload (1 MB unless the servers raise it), with room for the envelope.
    const max = (this.nats?.nc.info?.max_payload ?? 1_048_576) - 8_192;
    const bytes = Buffer.byteLength(content) + (data === null ? 0 : Buffer.byteLength(data));
    if (bytes > max) {
      throw new IpcError("TOO_LARGE", `a message to another broker can carry at most ${max} bytes (NATS max_payload); this one has ${bytes}: share a file path instead`);
    }
    b.commit.begin();
    const id = b.messages.insert({ sender, recipient, kind, content, data, reply_to: replyTo, created_at: now, read_at: now });
    b.registry.messageCount++;
    const wire: Wire = { id: `${this.store.node}.${id}`, from: sender, to: recipient, kind, content, data, created_at: now };
    if (replyTo !== null) wire.reply = this.store.refOf(replyTo);
    this.store.enqueue(wire.id, recipientSubject(this.settings.space, recipient), JSON.stringify(wire));
    b.commit.afterCommit(() => this.publisher.kick());
    return id;
  }

  refuseHeld(name: string): void {
    if (!this.directory.heldElsewhere(name, Date.now())) return;
    throw new IpcError(
      "NAME_TAKEN",
      `${name} is held by a live session on another broker of this cluster (space ${this.settings.space}). ` +
        `Pick another name, end that session first, or take the name over (\`ipc register ${name} --takeover\`, the register tool with takeover: true): the other session loses it.`,
    );
  }

  registered(name: string, takeover: boolean): Promise<ClaimOutcome> | null {
    if (!this.connected) return null;
    return new Promise((resolve) => {
      this.b.commit.afterCommit(
        () => {
          const entry = { broker: this.store.node, live: true, at: Date.now(), unread: this.b.registry.unreadOf(name) };
          void this.directory.write(name, entry, takeover).then((won) => {
            if (won) {
              this.consumers.ensure(name);
              resolve("won");
            } else if (this.directory.heldElsewhere(name, Date.now())) {
              this.yieldName(name);
              resolve("taken");
            } else {
              resolve("unreachable");
            }
          });
        },
        () => resolve("failed"),
      );
    });
  }

  renamed(from: string, to: string, expiresAt: number): void {
    if (this.nats === null) return;
    const me = this.store.node;
    this.b.commit.afterCommit(() => {
      const now = Date.now();
      void this.directory.write(to, { broker: me, live: true, at: now });
      void this.directory.write(from, { broker: me, live: false, at: now, forward: to, until: expiresAt });
      this.claims.renamed(from, to);
    });
  }

  remoteInstances(): ReturnType<ClusterLink["remoteInstances"]> {
    const now = Date.now();
    return this.directory.remoteEntries().map(([name, e]) => ({ name, lastSeen: e.at, online: e.live && now - e.at < STALE_MS, unread: e.unread ?? 0 }));
  }

  claimRows(project: string | undefined, now: number): ClaimRow[] {
    return this.claims.rows(project, now);
  }

  updateClaims(project: string, change: (rows: readonly ClaimRow[]) => ClaimRow[] | null): Promise<ClaimRow[]> {
    return this.claims.update(project, change);
  }

  presence(name: string): { online: boolean; lastLive: number } | null {
    return this.claims.presence(name);
  }

  status(): ReturnType<ClusterLink["status"]> {
    return {
      connected: this.connected,
      space: this.settings.space,
      node: this.store.node,
      servers: this.settings.servers,
      ...(this.nats !== null && !this.reconnecting && { server: this.nats.nc.getServer() }),
      stream: streamName(this.settings.space),
      replicas: this.nats?.replicas ?? 0,
      outbox: this.store.outboxLength(),
      names: this.directory.entries.size,
      consumers: this.consumers.count,
      ...(this.pending !== undefined && { pending: this.pending }),
      ...(this.settings.insecure && { insecure: true }),
      ...(this.refused !== null && { refused: this.refused }),
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    // Names held here are no longer live: another broker may take them at once instead of after STALE_MS (bounded: 1 s).
    if (this.nats !== null) {
      const me = this.store.node;
      const now = Date.now();
      const writes = [...this.directory.entries]
        .filter(([, { entry }]) => entry.broker === me && entry.live && entry.forward === undefined)
        .map(([name]) => this.directory.write(name, { broker: me, live: false, at: now }));
      await Promise.race([Promise.allSettled(writes), Bun.sleep(1_000)]);
    }
    this.directory.stop();
    this.channels.stop();
    this.claims.stop();
    this.consumers.stopAll();
    this.publisher.stop();
    const nats = this.nats;
    this.nats = null;
    await nats?.nc.close().catch(() => {});
  }
}

/** Starts the cluster side of `b` (returns at once; joining goes on in the background). */
export function startCluster(b: Broker, settings: ClusterSettings): ClusterLink {
  return new Cluster(b, settings);
}
