/**
 * What just happened in the broker, for watchers (the dashboard's activity
 * strip and its live message states, src/ui/live.ts): a message handed over
 * (to a waiting reader, to a live process, leased to a deliverer that puts it
 * into the model's turn — "woken"), messages read, file claims made and
 * released, channel joins, leaves and posts, names registered.
 *
 * Nobody listens unless a dashboard runs: `watching(b)` is one WeakMap look-up,
 * so the op handlers call `emit` only behind it and build nothing otherwise.
 * Listeners hear an event after the transaction that caused it commits (never
 * for a rolled-back one), in the order the events were emitted.
 */
import type { DeliveryStatus } from "../../protocol/responses.ts";
import type { Broker } from "../broker.ts";
import { log } from "../log.ts";

/** One broker event. Times are ms since the epoch. */
export type BrokerEvent =
  /** deliver(): message `id` to `name` was stored and handed over (`leased`: a deliverer has it: a `woken` event came too). */
  | { type: "delivery"; id: number; name: string; status: DeliveryStatus; leased: boolean; at: number }
  /** Message `id` was leased to `name`'s deliverer: it is being put into the model's turn. */
  | { type: "woken"; id: number; name: string; at: number }
  /** `name` read messages `ids` (check, read, or its deliverer's ack). */
  | { type: "read"; ids: number[]; name: string; at: number }
  | { type: "claimed"; name: string; project: string; paths: string[]; reason: string | null; at: number }
  /** `name`'s claims ended (`paths` absent: all of them in `project`); `by` a person at the dashboard, else the holder. */
  | { type: "released"; name: string; project: string; paths?: string[]; by?: string; at: number }
  | { type: "joined" | "left"; name: string; channel: string; at: number }
  /** A channel post's record `id` was stored (its members' copies follow as deliveries). */
  | { type: "posted"; id: number; name: string; channel: string; at: number }
  | { type: "registered"; name: string; at: number };

type Listener = (e: BrokerEvent) => void;
const listeners = new WeakMap<Broker, Set<Listener>>();

/** True when someone listens to `b`'s events (call before building one). */
export function watching(b: Broker): boolean {
  const set = listeners.get(b);
  return set !== undefined && set.size > 0;
}

/** Hands `e` to every listener of `b` once the open transaction commits (now when none is open). */
export function emit(b: Broker, e: BrokerEvent): void {
  const set = listeners.get(b);
  if (set === undefined || set.size === 0) return;
  b.commit.afterCommit(() => {
    for (const fn of set) {
      try {
        fn(e);
      } catch (err) {
        log.warn(`event listener failed: ${(err as Error).message}`);
      }
    }
  });
}

/** Starts handing `b`'s events to `fn`; returns the function that stops it. */
export function listen(b: Broker, fn: Listener): () => void {
  let set = listeners.get(b);
  if (set === undefined) listeners.set(b, (set = new Set()));
  set.add(fn);
  return () => set.delete(fn);
}
