/**
 * The broker's state: the database and its prepared queries, the in-memory
 * caches built on them, held waiters and subscribers, and the group commit.
 * Op handlers (src/broker/ops/) work on it; the server (server.ts) feeds it
 * frames. Independent of sockets so the same code serves v2 and legacy clients.
 */
import type { Database } from "bun:sqlite";
import type { Config, ListenAddress } from "../config.ts";
import { paths } from "../config.ts";
import { ensureKey } from "../home/key.ts";
import { IpcError } from "../protocol/errors.ts";
import type { OutputBudget } from "../protocol/write-queue.ts";
import { ChannelStore } from "../store/channels.ts";
import { isDiskFull } from "../store/database.ts";
import { ClaimStore } from "../store/claims.ts";
import { InstanceStore } from "../store/instances.ts";
import { MachineStore } from "../store/machines.ts";
import { MessageStore } from "../store/messages.ts";
import { SearchIndex } from "../store/search.ts";
import type { MessageRow } from "../store/messages.ts";
import { SessionStore } from "../store/sessions.ts";
import type { ClusterLink } from "./cluster-link.ts";
import type { Connection } from "./edge/connection.ts";
import { okFrame } from "./edge/frames.ts";
import { GroupCommit } from "./delivery/group-commit.ts";
import { RateBucket } from "./state/rate-limit.ts";
import { RegistrationLimits } from "./state/registrations.ts";
import { Registry } from "./state/registry.ts";
import { type Session, Sessions } from "./state/sessions.ts";
import { Waiters } from "./delivery/waiters.ts";
import { Leases } from "./delivery/leases.ts";
import { endLease } from "./delivery/deliver.ts";

/** Milliseconds since the epoch; injectable so tests can move time. */
export type Clock = () => number;

export class Broker {
  readonly messages: MessageStore;
  readonly instances: InstanceStore;
  readonly sessionStore: SessionStore;
  readonly search: SearchIndex;
  readonly machines: MachineStore;
  /** File claims (docs/coordination.md). */
  readonly claims: ClaimStore;
  /** Channel memberships (docs/coordination.md). */
  readonly channels: ChannelStore;
  readonly registry: Registry;
  readonly sessions: Sessions;
  readonly waiters = new Waiters();
  /** Messages deliverers hold while they put them into a model's context (docs/wake.md#delivery-states). */
  readonly leases = new Leases();
  /** Registrations per connection and per peer (issue 10, hole 7). */
  readonly registrations = new RegistrationLimits(this);
  readonly commit: GroupCommit;
  readonly connections = new Set<Connection>();
  /** Bytes of replies queued for sockets that have not taken them, all connections together (IPC_MAX_HELD_OUTPUT_BYTES). */
  readonly outputBudget: OutputBudget;
  readonly startedAt = Date.now();
  /** `clock()` at start: after a restart, file claims give their holders the grace from here (ops/claims.ts). */
  readonly startedAtClock: number;
  readonly largeMessageDir: string;
  /** The TLS network listeners (`--listen`) and the certificate fingerprint machines pin; null without them. */
  tls: { fingerprint: string; listeners: { host: string; port: number }[] } | null = null;
  /** Address facts for `status`, filled in by the server once listening. */
  address = { host: "", port: 0, socket: null as string | null };
  /** The per-home key (src/home/key.ts): same-user clients prove it, and the broker proves it to them. */
  readonly key: string;
  /**
   * `performance.now()` before which heavy ops (history, search, read) wait:
   * one that ran for t ms makes the next wait t ms, so large replies take at
   * most half the broker's time and other clients are answered between them.
   */
  heavyUntil = 0;
  /**
   * Called with every stored message once it is committed (the dashboard's live
   * feed). Empty on the hot path unless a dashboard page is open.
   */
  readonly observers = new Set<(row: MessageRow) => void>();
  /** The NATS JetStream cluster (`--nats`, src/cluster/), loaded only when configured; null for a broker on its own. */
  cluster: ClusterLink | null = null;
  /** The browser dashboard, once `ui` started it (src/ui/server.ts). */
  dashboard: { stop(): void } | null = null;
  /** Set by the server: begins a clean shutdown; with `successor` (a pid), the IPC_HOME lock is handed to that broker at the end. */
  requestShutdown: (successor?: number) => void = (successor) => {
    // Asked before the server finished starting (its listeners already take clients): kept, and run
    // by the server as soon as it can stop; acknowledging a shutdown and then ignoring it left brokers running.
    this.shutdownRequested = { successor };
  };
  /** A shutdown asked for before the server set requestShutdown; the server runs it once started. */
  shutdownRequested: { successor?: number } | null = null;
  /**
   * Set by the server: opens TLS listeners on `addresses` the broker does not listen on yet
   * (the `listen` op), and resolves to those it added. Rejects with IpcError CONFLICT naming an address it cannot bind.
   */
  addListeners: (addresses: ListenAddress[]) => Promise<{ host: string; port: number }[]> = () =>
    Promise.reject(new Error("this broker takes no listeners (not started by the server)"));

  constructor(
    readonly config: Config,
    readonly db: Database,
    readonly clock: Clock = Date.now,
  ) {
    // A held-back send that fails to store fails its whole group (GroupCommit.abort answers each request INTERNAL).
    this.messages = new MessageStore(db, (err) => this.commit.abort(isDiskFull(err) ? "the disk is full" : `storing a message failed: ${(err as Error).message}`));
    this.instances = new InstanceStore(db);
    this.sessionStore = new SessionStore(db);
    this.search = new SearchIndex(db);
    this.machines = new MachineStore(db);
    this.claims = new ClaimStore(db);
    this.startedAtClock = clock();
    this.channels = new ChannelStore(db);
    this.registry = new Registry(this.instances, this.messages);
    this.sessions = new Sessions(this.sessionStore, config.retention.sessionHours * 3_600_000, () => this.newBucket());
    this.commit = new GroupCommit(db, () => this.resync(), () => this.messages.drain());
    this.largeMessageDir = paths.largeMessages(config);
    this.key = ensureKey(config);
    this.outputBudget = { held: 0, max: config.limits.maxHeldOutputBytes };
  }

  /**
   * After a rollback: the in-memory view is read from the database again.
   * Live connections keep their session objects (their names are corrected in
   * place), and waiters and subscribers follow those names.
   */
  private resync(): void {
    this.messages.rolledBack();
    this.registry.reload();
    this.sessions.reload();
    this.registry.resetConnected([...this.connections].flatMap((c) => (c.session ? [c.session.name] : [])));
    this.waiters.rekey();
  }

  /** A rate bucket with the configured limits. */
  newBucket(): RateBucket {
    const { ratePerMinute, rateBurst } = this.config.limits;
    return new RateBucket(ratePerMinute, Math.max(1, rateBurst));
  }

  /** Open mode (IPC_OPEN=1): connections need not authenticate. */
  get open(): boolean {
    return this.config.open;
  }

  /** True when a connection must authenticate before anything but hello (everything but open mode without a secret). */
  get secure(): boolean {
    return !this.config.open || this.config.secret !== null;
  }

  /**
   * The session a request acts as: its own `token` if it carries one, else the connection's.
   * @throws IpcError UNAUTHENTICATED when there is none or it expired.
   */
  requireSession(conn: Connection, token: string | undefined): Session {
    const now = this.clock();
    if (token !== undefined) {
      const s = this.sessions.resolve(token, now);
      if (s === null) throw unauthenticated("unknown or expired session token");
      // A joined machine acts only with the sessions it registered itself.
      if (conn.machine !== null && s.machine !== conn.machine) throw unauthenticated("that session belongs to another machine");
      this.registry.seen(s.name, now);
      return s;
    }
    const s = conn.session;
    if (s === null) throw unauthenticated("not registered");
    if (this.sessions.expired(s, now)) {
      this.unbind(conn);
      throw unauthenticated("session expired");
    }
    s.lastUsed = now;
    this.registry.seen(s.name, now);
    return s;
  }

  /** Binds `conn` to `session` (register, auth): the connection is authenticated from now on. */
  bind(conn: Connection, session: Session): void {
    conn.authenticated = true;
    if (conn.session === session) return;
    if (conn.session?.name !== session.name) {
      this.unbind(conn);
      this.registry.connected(session.name, 1);
    } else {
      conn.session.bound--;
    }
    session.bound++;
    conn.session = session;
    conn.authenticated = true;
  }

  /** Detaches `conn` from its session and its subscription; held checks are answered (empty). */
  unbind(conn: Connection): void {
    // What it held as a deliverer goes to the next one, unread.
    for (const id of this.leases.heldBy(conn)) endLease(this, id, false);
    if (conn.subscriber) {
      this.waiters.unsubscribe(conn.subscriber);
      conn.subscriber = null;
    }
    for (const w of conn.waiters) {
      this.waiters.remove(w);
      if (!conn.closed) this.commit.send(conn, okFrame(w.requestId, { messages: [] }), w.requestId);
    }
    conn.waiters.clear();
    if (conn.session) {
      this.registry.connected(conn.session.name, -1);
      // Last seen when it went away: a file claim's grace counts from here (ops/claims.ts).
      this.registry.seen(conn.session.name, this.clock());
      conn.session.bound--;
    }
    conn.session = null;
  }

  /** Rejects content over the configured limit. */
  checkContent(content: string): void {
    const max = this.config.limits.maxContentBytes;
    if (content.length > max || (content.length * 3 > max && Buffer.byteLength(content) > max)) {
      throw new IpcError(
        "TOO_LARGE",
        `content is ${Buffer.byteLength(content)} bytes; the limit is ${max} bytes (IPC_MAX_CONTENT_BYTES): share a file path instead`,
      );
    }
  }
}

function unauthenticated(why: string): IpcError {
  return new IpcError(
    "UNAUTHENTICATED",
    `${why}: register a name first (\`ipc register NAME\`, MCP tool register) or send a valid session token`,
  );
}
