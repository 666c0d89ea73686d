/**
 * The broker client every command and the MCP server use: acts as one name,
 * connects (starting a broker if needed), authenticates with the saved
 * session, and recovers once, invisibly, from a lost connection (broker
 * restarted or killed) or a lost session (expired, database reset) by
 * reconnecting and re-registering.
 */
import type { Config } from "../config.ts";
import { IpcError } from "../protocol/errors.ts";
import type { Message } from "../protocol/message.ts";
import { normalizeName } from "../protocol/names.ts";
import type { Op, Params } from "../protocol/requests.ts";
import type { ResultOf } from "../protocol/responses.ts";
import { REQUEST_TIMEOUT_MS } from "./broker-client.ts";
import { type Connected, connectBroker } from "./connect.ts";
import { seatOf } from "./seat.ts";
import { cliName, loadSession, renamedTo, saveSession } from "./session-store.ts";
import type { Seat } from "../protocol/requests.ts";

/** Ops that work without a session. */
const OPEN_OPS: ReadonlySet<Op> = new Set(["hello", "status", "list", "register", "claims"]);

export interface AgentOptions {
  /** Start a broker when none answers (default: unless config.noSpawn). */
  spawn?: boolean;
  /** Save sessions to $IPC_HOME/sessions (default true). */
  persist?: boolean;
  /** Without config.name, act as this shell's last registered name, or the only saved one (default true; the MCP server starts unnamed instead). */
  lastName?: boolean;
  /**
   * Start with the token saved for the name in $IPC_HOME/sessions (default true). The MCP server
   * starts without: another live session's saved token must not make it that session (docs/identity.md).
   */
  savedToken?: boolean;
  /** The kind of host this agent's seat is (default "cli"; the MCP server names its host). */
  seatHost?: string;
  /** The seat's process (default hostPid()); an MCP server of a host shared by several sessions is its own seat. */
  seatPid?: number;
}

/** How `register` treats a name another live seat holds (docs/identity.md). */
export interface RegisterOptions {
  /** Take it over: the other session loses it. */
  takeover?: boolean;
  /** A default name: take the first free `name-2`, `name-3`, … instead. */
  fallback?: boolean;
}

export class Agent {
  private conn: Connected | null = null;
  private connecting: Promise<Connected> | null = null;
  private token: string | null = null;
  private authed = false;
  /** The authentication under way, shared by concurrent calls (one nonce per connection). */
  private authing: Promise<void> | null = null;
  private subscription: { consume: boolean; deliver: boolean; onMessage: (m: Message, lease: boolean) => void } | null = null;
  /** The name this agent acts as, once known. */
  name: string | null;
  /** Called after the agent re-established its connection (broker restarted). */
  onReconnect: (() => void) | null = null;
  private seatCache: Seat | null = null;

  constructor(
    readonly config: Config,
    private readonly options: AgentOptions = {},
  ) {
    this.name =
      config.name !== null ? normalizeName(config.name) ?? config.name : options.lastName === false ? null : cliName(config);
    if (this.name !== null && options.persist !== false && options.savedToken !== false) this.token = loadSession(config, this.name)?.token ?? null;
  }

  /** Adopts a known session (the MCP server resuming after a respawn). */
  adopt(name: string, token: string): void {
    this.name = name;
    this.token = token;
    this.authed = false;
  }

  /** Who holds names through this agent: its host process and host kind (computed once). */
  get seat(): Seat {
    this.seatCache ??= seatOf(this.options.seatHost ?? "cli", this.options.seatPid);
    return this.seatCache;
  }

  /** The current session token, if any. */
  get sessionToken(): string | null {
    return this.token;
  }

  /** The connection, opening it (and starting a broker) if needed. */
  async connection(spawn = true): Promise<Connected> {
    if (this.conn?.client.isOpen) return this.conn;
    this.connecting ??= this.open(spawn).finally(() => (this.connecting = null));
    return this.connecting;
  }

  /** Connects; starts a broker when none answers only if `spawn` (and the options and config allow it). */
  private async open(spawn: boolean): Promise<Connected> {
    const wasConnected = this.conn !== null;
    const c = await connectBroker(this.config, spawn && (this.options.spawn ?? !this.config.noSpawn));
    this.conn = c;
    this.authed = false;
    c.client.onMessage = (m, lease) => this.subscription?.onMessage(m, lease);
    c.client.onClose = () => this.resubscribeSoon();
    if (this.subscription !== null) {
      try {
        await this.ensureSession(c);
      } catch (err) {
        // Not subscribed on this connection: drop it so the retry opens a fresh one.
        this.conn = null;
        c.client.close();
        throw err;
      }
    }
    if (wasConnected) this.onReconnect?.();
    return c;
  }

  /**
   * Registers `name` on the authenticated connection and makes it this agent's identity.
   * The broker may answer another name (a `fallback` suffix): `this.name` follows the answer.
   * @throws IpcError INVALID_NAME, NAME_TAKEN (another live seat holds it), FORBIDDEN (secret), NO_BROKER.
   */
  async register(name: string, options: RegisterOptions = {}): Promise<ResultOf<"register">> {
    const c = await this.connection();
    const r = await this.registerOn(c, name, options);
    await this.restoreSubscription(c);
    return r;
  }

  private async registerOn(c: Connected, name: string, options: RegisterOptions = {}): Promise<ResultOf<"register">> {
    // The connection already proved the key or the secret (connectBroker), which is all register needs.
    const r = await c.client.request("register", {
      name,
      seat: this.seat,
      ...(options.takeover === true && { takeover: true }),
      ...(options.fallback === true && { fallback: true }),
    });
    this.name = r.name;
    this.token = r.token;
    this.authed = true;
    if (this.options.persist !== false) saveSession(this.config, r.name, r.token);
    return r;
  }

  /**
   * Binds the connection to this agent's session. A session the broker no
   * longer knows (expired, database reset) is replaced by registering the same
   * name again; a name never registered here is an error, so a typo in --as
   * does not silently create a new instance.
   */
  private ensureSession(c: Connected): Promise<void> {
    if (this.authed) return Promise.resolve();
    this.authing ??= this.authenticate(c).finally(() => (this.authing = null));
    return this.authing;
  }

  private async authenticate(c: Connected): Promise<void> {
    if (this.token === null) {
      const renamed = this.name === null ? null : renamedTo(this.config, this.name);
      throw new IpcError(
        "UNAUTHENTICATED",
        this.name === null
          ? "no name to act as: run `ipc register NAME` first, or pass --as NAME / set IPC_NAME"
          : renamed !== null
            ? `${this.name} was renamed to ${renamed}: update IPC_NAME (export IPC_NAME=${renamed}) or pass --as ${renamed}`
            : `${this.name} is not registered from this IPC_HOME yet: run \`ipc register ${this.name}\` first`,
      );
    }
    try {
      await c.client.request("auth", { token: this.token, seat: this.seat });
      this.authed = true;
    } catch (err) {
      if (!(err instanceof IpcError && err.code === "UNAUTHENTICATED") || this.name === null) throw err;
      await this.registerOn(c, this.name);
    }
    await this.restoreSubscription(c);
  }

  /**
   * A fresh binding (new connection, expired session re-registered, new name)
   * starts unsubscribed: subscribe again. A consuming subscription then takes
   * whatever arrived while it was not subscribed, so nothing falls in the gap.
   */
  private async restoreSubscription(c: Connected): Promise<void> {
    const sub = this.subscription;
    if (sub === null) return;
    await c.client.request("subscribe", sub.deliver ? { deliver: true } : { consume: sub.consume });
    if (sub.consume) await this.drain(c, sub.onMessage);
    else if (sub.deliver) await this.leaseBacklog(c, sub.onMessage);
  }

  /** Hands every unread message to `onMessage` as leased to this deliverer (a deliver-subscriber's backlog; bounded). */
  private async leaseBacklog(c: Connected, onMessage: (m: Message, lease: boolean) => void): Promise<void> {
    for (let round = 0; round < 10; round++) {
      // peek too: a broker that predates deliverers then shows them without taking them.
      const { messages } = await c.client.request("check", { deliver: true, peek: true, limit: 100 });
      for (const m of messages) onMessage(m, true);
      if (messages.length < 100) return;
    }
  }

  /** Hands every unread message to `onMessage`, marking it read (a consuming subscriber's backlog). */
  private async drain(c: Connected, onMessage: (m: Message, lease: boolean) => void): Promise<void> {
    for (;;) {
      const { messages } = await c.client.request("check", { limit: 1000 });
      for (const m of messages) onMessage(m, false);
      if (messages.length === 0) return;
    }
  }

  /**
   * Runs one op as this agent. Retries once after reconnecting if the broker went
   * away, and once after re-registering if the session was lost. `params` and
   * `timeoutMs` (ms) may be functions, evaluated per attempt: a held `check`
   * retried after a broker restart waits only for the time left.
   * @throws IpcError from the broker, or NO_BROKER.
   */
  async call<O extends Op>(
    op: O,
    params: Params<O> | (() => Params<O>),
    timeoutMs: number | (() => number) = REQUEST_TIMEOUT_MS,
  ): Promise<ResultOf<O>> {
    for (let attempt = 0; ; attempt++) {
      const c = await this.connection();
      try {
        if (!OPEN_OPS.has(op)) await this.ensureSession(c);
        const p = typeof params === "function" ? params() : params;
        return await c.client.request(op, p, typeof timeoutMs === "function" ? timeoutMs() : timeoutMs);
      } catch (err) {
        if (attempt > 0 || !(err instanceof IpcError)) throw err;
        if (err.code === "NO_BROKER") {
          this.conn = null;
          continue;
        }
        if (err.code === "UNAUTHENTICATED" && this.authed && !OPEN_OPS.has(op)) {
          // The session vanished mid-connection (expired): authenticate again, re-registering if needed.
          this.authed = false;
          continue;
        }
        throw err;
      }
    }
  }

  /**
   * Receives every new message to this agent; re-subscribes after reconnects.
   * With `consume`, the messages are marked read and the unread backlog is
   * handed over first (subscribe, then drain: nothing falls between the two).
   * With `deliver` (and not `consume`), this agent puts them into a model's
   * context: each comes leased (`lease` true), the unread backlog too, and
   * must be answered with `ack` (docs/wake.md#delivery-states).
   */
  async subscribe(onMessage: (m: Message, lease: boolean) => void, consume = false, deliver = false): Promise<void> {
    this.subscription = { consume, deliver: deliver && !consume, onMessage };
    // A new connection or a fresh authentication restores the subscription (and drains) by itself.
    const c = await this.connection();
    if (!this.authed) await this.ensureSession(c);
    else await this.restoreSubscription(c);
  }

  /**
   * A subscribed agent whose connection dropped reconnects in the background,
   * backing off up to 2 s. It never starts a broker itself: after `ipc stop`
   * the broker stays stopped until a command (or a tool call) needs one.
   */
  private resubscribeSoon(delayMs = 100): void {
    if (this.subscription === null) return;
    setTimeout(() => {
      if (this.subscription === null || this.conn?.client.isOpen) return;
      this.connection(false).catch(() => this.resubscribeSoon(Math.min(delayMs * 2, 2_000)));
    }, delayMs);
  }

  /** Closes the connection. */
  close(): void {
    this.subscription = null;
    this.conn?.client.close();
    this.conn = null;
  }
}
