/**
 * Push delivery. A `check` with `wait` on an empty inbox becomes a waiter held
 * in memory; `subscribe` makes a connection a subscriber. A send hands its
 * message to the oldest matching consuming waiter, every matching peeking one
 * and every subscriber, marking it read in its own insert when one of them
 * consumes it: no polling, no second write. Waiters and subscribers that
 * declare `deliver` put what they get into a model's context; one of them at
 * a time is offered a message, leased (leases.ts).
 */
import type { Connection } from "../edge/connection.ts";

/** A held `check` request: one message wakes it. */
export interface Waiter {
  readonly kind: "waiter";
  readonly conn: Connection;
  /** The request id to answer. */
  readonly requestId: unknown;
  /** Only messages from this sender wake it. */
  readonly from: string | undefined;
  /** Deliver without marking read. */
  readonly peek: boolean;
  /** A deliverer (check {deliver}): it is offered a message only when no other deliverer holds it, as a lease. */
  readonly deliver: boolean;
  name: string;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** A subscribed connection: every new message to `name` is pushed to it. */
export interface Subscriber {
  readonly kind: "subscriber";
  readonly conn: Connection;
  /** Pushed messages are marked read (`ipc watch`). */
  readonly consume: boolean;
  /** A deliverer (subscribe {deliver}): each new message is leased to it; false once demoted by an expired lease. */
  deliver: boolean;
  name: string;
}

/** match() when nobody waits for the recipient. */
const NOBODY: Matched = Object.freeze({ taker: null, peekers: Object.freeze([]) as readonly Waiter[], deliverer: null });

/** Who a message wakes: the consuming waiter that takes it, the peeking ones, and the oldest waiting deliverer. */
export interface Matched {
  taker: Waiter | null;
  peekers: readonly Waiter[];
  deliverer: Waiter | null;
}

export class Waiters {
  private readonly waiting = new Map<string, Waiter[]>();
  private readonly subscribed = new Map<string, Set<Subscriber>>();

  /** Holds `w` until a message for `w.name` arrives or it is removed. */
  add(w: Waiter): void {
    const list = this.waiting.get(w.name);
    if (list) list.push(w);
    else this.waiting.set(w.name, [w]);
  }

  /** Forgets `w` (timeout, connection closed). Returns false if it was already taken. */
  remove(w: Waiter): boolean {
    const list = this.waiting.get(w.name);
    if (!list) return false;
    const i = list.indexOf(w);
    if (i === -1) return false;
    list.splice(i, 1);
    if (list.length === 0) this.waiting.delete(w.name);
    if (w.timer) clearTimeout(w.timer);
    return true;
  }

  subscribe(s: Subscriber): void {
    let set = this.subscribed.get(s.name);
    if (!set) this.subscribed.set(s.name, (set = new Set()));
    set.add(s);
  }

  unsubscribe(s: Subscriber): void {
    const set = this.subscribed.get(s.name);
    if (!set) return;
    set.delete(s);
    if (set.size === 0) this.subscribed.delete(s.name);
  }

  /**
   * Who a message from `sender` to `recipient` wakes (all left in place): the
   * oldest matching waiter that consumes (it takes the message), every
   * matching waiter that peeks (they take nothing, so all of them see it, a
   * stale one left by a cancelled call included), and the oldest matching
   * deliverer not on connection `except` (offered it as a lease).
   */
  match(recipient: string, sender: string, except?: object): Matched {
    const list = this.waiting.get(recipient);
    if (list === undefined) return NOBODY; // the common case on the send path: no allocation
    let taker: Waiter | null = null;
    let deliverer: Waiter | null = null;
    const peekers: Waiter[] = [];
    for (const w of list) {
      if (w.from !== undefined && w.from !== sender) continue;
      if (w.deliver) {
        if (w.conn !== except) deliverer ??= w;
      } else if (w.peek) peekers.push(w);
      else taker ??= w;
    }
    return { taker, peekers, deliverer };
  }

  /** The oldest subscriber of `recipient` that delivers into a model's context (not on connection `except`), or null. */
  delivererOf(recipient: string, except?: object): Subscriber | null {
    const subs = this.subscribed.get(recipient);
    if (subs) for (const s of subs) if (s.deliver && !s.consume && s.conn !== except) return s;
    return null;
  }

  /** A subscriber of `recipient` that consumes what it is pushed (`ipc watch`), or null. */
  consumer(recipient: string): Subscriber | null {
    const subs = this.subscribed.get(recipient);
    if (subs) for (const s of subs) if (s.consume) return s;
    return null;
  }

  /** Subscribers of `name` (to push a new message to). */
  subscribersOf(name: string): ReadonlySet<Subscriber> | undefined {
    return this.subscribed.get(name);
  }

  /** Moves waiters and subscribers of `oldName` to `newName` (rename). */
  rename(oldName: string, newName: string): void {
    const list = this.waiting.get(oldName);
    if (list) {
      this.waiting.delete(oldName);
      for (const w of list) {
        w.name = newName;
        this.add(w);
      }
    }
    const subs = this.subscribed.get(oldName);
    if (subs) {
      this.subscribed.delete(oldName);
      for (const s of subs) {
        s.name = newName;
        this.subscribe(s);
      }
    }
  }

  /** Files every waiter and subscriber again under the current name of its connection's session (after a rollback). */
  rekey(): void {
    const waiting = [...this.waiting.values()].flat();
    const subscribed = [...this.subscribed.values()].flatMap((set) => [...set]);
    this.waiting.clear();
    this.subscribed.clear();
    for (const w of waiting) {
      w.name = w.conn.session?.name ?? w.name;
      this.add(w);
    }
    for (const sub of subscribed) {
      sub.name = sub.conn.session?.name ?? sub.name;
      this.subscribe(sub);
    }
  }
}
