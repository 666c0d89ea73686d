/**
 * Leases (docs/wake.md#delivery-states): a message handed to a deliverer — a
 * reader that puts it into a model's context, such as ipc mcp writing to
 * Claude Code's inbox socket or a wake hook — is leased to it, not read.
 * While leased, no other reader takes it (consuming checks skip it, other
 * deliverers are not offered it). The deliverer answers `ack`: delivered
 * (the broker marks it read, its sender hears `delivered`) or not (it stays
 * unread and goes to the next deliverer, its sender hears `notified`). A lease
 * that is not answered within LEASE_MS, or whose connection closes, ends as
 * not delivered, and a deliver-subscriber that let one expire is demoted to a
 * plain subscriber (the breaker: a hung deliverer costs each sender one wait
 * at most once).
 */
import type { DeliveryStatus } from "../../protocol/responses.ts";
import type { Connection } from "../edge/connection.ts";

/**
 * How long a deliverer may hold a message before it must ack (ms); a sender waits at most this for `delivered`.
 * 5 s: the Codex waiter acks once `codex queue` exited, which takes 1–3 s with a process per session on a loaded machine.
 */
export const LEASE_MS = 5_000;

/** One leased message. */
export interface Lease {
  readonly messageId: number;
  /** The recipient. */
  readonly name: string;
  /** The deliverer holding it. */
  readonly conn: Connection;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Called once with the outcome: senders waiting for their reply. */
  readonly settled: Array<(status: DeliveryStatus) => void>;
  /** How many deliverers held the message before this one (its waiting senders follow it at most once). */
  readonly hops: number;
}

export class Leases {
  private readonly byId = new Map<number, Lease>();
  private readonly byConn = new Map<Connection, Set<number>>();

  /** Number of messages leased now. */
  get size(): number {
    return this.byId.size;
  }

  /** True while message `id` is leased to a deliverer. */
  has(id: number): boolean {
    return this.byId.size > 0 && this.byId.has(id);
  }

  get(id: number): Lease | undefined {
    return this.byId.get(id);
  }

  /** Leases message `id` of `name` to `conn`; `onExpire` runs when LEASE_MS pass without an ack. */
  take(id: number, name: string, conn: Connection, onExpire: (l: Lease) => void, ms = LEASE_MS, hops = 0): Lease {
    const lease: Lease = { messageId: id, name, conn, timer: undefined, settled: [], hops };
    lease.timer = setTimeout(() => onExpire(lease), ms);
    lease.timer.unref?.();
    this.byId.set(id, lease);
    let ids = this.byConn.get(conn);
    if (ids === undefined) this.byConn.set(conn, (ids = new Set()));
    ids.add(id);
    return lease;
  }

  /** Ends lease `id` (if any), telling whoever waits `status` (none: they are left in the returned lease's `settled`). */
  end(id: number, status: DeliveryStatus | null): Lease | undefined {
    const lease = this.byId.get(id);
    if (lease === undefined) return undefined;
    this.byId.delete(id);
    if (lease.timer) clearTimeout(lease.timer);
    const ids = this.byConn.get(lease.conn);
    ids?.delete(id);
    if (ids?.size === 0) this.byConn.delete(lease.conn);
    if (status !== null) for (const f of lease.settled.splice(0)) f(status);
    return lease;
  }

  /** The ids leased to `conn` (to end when it closes). */
  heldBy(conn: Connection): number[] {
    return [...(this.byConn.get(conn) ?? [])];
  }
}
