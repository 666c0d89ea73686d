/**
 * What the dashboard remembers from the broker's event feed
 * (src/broker/delivery/events.ts) and turns into its live frames: how each recent
 * message was delivered (the database knows only `read_at`; "to a waiting
 * reader" or "woken into the model's turn" is known only as it happens, so
 * the last MAX_REMEMBERED deliveries are kept in memory), when each agent was
 * last woken, which channel record each member's copy belongs to, and the
 * recent activity lines.
 */
import type { Broker } from "../broker/broker.ts";
import type { BrokerEvent } from "../broker/delivery/events.ts";
import { iso } from "../broker/delivery/present.ts";
import type { MessageRow } from "../store/messages.ts";
import { isCopy } from "./queries.ts";
import { projectName } from "./views.ts";
import type { UiActivity, UiEvent, UiState } from "./schemas.ts";

/** Deliveries and copy → record links kept (oldest forgotten first). */
export const MAX_REMEMBERED = 50_000;
/** Activity lines kept for a page that opens later. */
export const MAX_ACTIVITY = 200;
/** Characters of one activity line at most (a claim of 200 long paths, say, is cut). */
const MAX_LINE = 300;

/** A Map that forgets its oldest entries past `max`. */
class Bounded<K, V> extends Map<K, V> {
  constructor(private readonly max: number) {
    super();
  }
  override set(k: K, v: V): this {
    super.set(k, v);
    if (this.size > this.max) this.delete(this.keys().next().value as K);
    return this;
  }
}

export class Memory {
  /** Message id → how it was delivered. */
  readonly via = new Bounded<number, NonNullable<UiState["via"]>>(MAX_REMEMBERED);
  /** Name → when a message was last put into its model's turn (ms). */
  readonly wokenAt = new Map<string, number>();
  /** A member's copy id → its record's id; a broadcast copy's id → its first copy's id. */
  private readonly recordOfCopy = new Bounded<number, number>(MAX_REMEMBERED);
  /** `#channel\0sender` → the record id of its latest post, for the copies that follow it (in the same commit). */
  private readonly lastPost = new Bounded<string, number>(1_000);
  readonly activity: UiActivity[] = [];

  /** Channel records and broadcasts whose reach changed, pushed together on the next turn. */
  private readonly dirty = new Set<number>();

  constructor(
    private readonly b: Broker,
    /** Sends a frame to the open pages. */
    private readonly push: (e: UiEvent) => void,
    /** The state of a channel record now (its copies' reach). */
    private readonly recordState: (recordId: number) => UiState | null,
    /** True while a page is open (else nothing is pushed, so nothing is looked up for it). */
    private readonly pagesOpen: () => boolean,
    /** The id of the first copy of the broadcast `copy` belongs to (the broadcast's id on the pages), or null. */
    private readonly firstCopy: (copy: MessageRow) => number | null,
  ) {}

  /** The record a channel copy belongs to (null when none is known here: a copy from another broker of a cluster). */
  recordOf(copy: { id: number; sender: string; channel: string | null }): number | null {
    const known = this.recordOfCopy.get(copy.id) ?? this.lastPost.get(`${copy.channel}\u0000${copy.sender}`);
    if (known !== undefined) return known;
    return copy.channel === null ? null : this.b.messages.recordOf(copy.channel, copy.id);
  }

  private line(type: UiActivity["type"], at: number, name: string, text: string): void {
    const a: UiActivity = { type, at: iso(at), name, text: text.length > MAX_LINE ? `${text.slice(0, MAX_LINE)}…` : text };
    this.activity.push(a);
    if (this.activity.length > MAX_ACTIVITY) this.activity.splice(0, this.activity.length - MAX_ACTIVITY);
    this.push({ type: "activity", activity: a });
  }

  /**
   * A stored message (the broker's observer): a channel post's copy is not shown as a message, only
   * as its record's reach; nor is a broadcast's second or later copy, only as the first one's reach.
   */
  stored(row: MessageRow): "show" | "copy" {
    if (row.kind === "broadcast") {
      const first = this.broadcastFirst(row);
      this.recordOfCopy.set(row.id, first);
      if (first !== row.id) return "copy";
      this.line("sent", row.created_at, row.sender, "→ everyone");
      return "show";
    }
    if (!isCopy(row)) {
      this.line("sent", row.created_at, row.sender, `→ ${row.recipient}`);
      return "show";
    }
    const record = this.recordOf({ ...row, channel: row.channel ?? null });
    if (record !== null) this.recordOfCopy.set(row.id, record);
    return "copy";
  }

  /** The last broadcast seen: `sender\0created_at` and its first copy's id (its copies come one after another). */
  private lastBroadcast = { key: "", first: 0 };
  /** The id of the first copy of `row`'s broadcast (its own id when it is the first). */
  private broadcastFirst(row: MessageRow): number {
    const key = `${row.sender}\u0000${row.created_at}`;
    if (key !== this.lastBroadcast.key) this.lastBroadcast = { key, first: row.id };
    return this.lastBroadcast.first;
  }

  /** One broker event: remembered, and pushed to the pages as states and activity. */
  event(e: BrokerEvent): void {
    switch (e.type) {
      case "posted":
        this.lastPost.set(`${e.channel}\u0000${e.name}`, e.id);
        this.line("posted", e.at, e.name, `→ ${e.channel}`);
        return;
      case "delivery": {
        if (e.status !== "delivered" && e.status !== "notified") return;
        if (e.leased) return; // its `woken` event says it
        this.via.set(e.id, e.status === "delivered" ? "reader" : "live");
        this.changed(e.id, e.status === "delivered" ? e.at : undefined);
        return;
      }
      case "woken":
        this.via.set(e.id, "woken");
        this.wokenAt.set(e.name, e.at);
        this.line("woken", e.at, e.name, `woken with #${e.id}`);
        this.changed(e.id);
        return;
      case "read":
        for (const id of e.ids) this.changed(id, e.at);
        this.line("read", e.at, e.name, e.ids.length === 1 ? `read #${e.ids[0]}` : `read ${e.ids.length} messages`);
        return;
      case "claimed":
        this.line("claimed", e.at, e.name, `claimed ${e.paths.join(", ")} in ${projectName(e.project)}${e.reason ? ` — ${e.reason}` : ""}`);
        return;
      case "released":
        if (e.by !== undefined) this.line("released", e.at, e.by, `released ${e.name}'s ${e.paths?.join(", ") ?? "claims"} in ${projectName(e.project)} (told ${e.name})`);
        else this.line("released", e.at, e.name, `released ${e.paths?.join(", ") ?? "all its claims"} in ${projectName(e.project)}`);
        return;
      case "joined":
      case "left":
        this.line(e.type, e.at, e.name, `${e.type} ${e.channel}`);
        return;
      case "registered":
        this.line("registered", e.at, e.name, "registered");
        return;
    }
  }

  /** Message `id` changed state: its own frame, or (a channel copy, a broadcast's copy) its record's, once per turn. */
  private changed(id: number, readAt?: number): void {
    if (!this.pagesOpen()) return;
    let record = this.recordOfCopy.get(id);
    if (record === undefined) {
      const row = this.b.messages.get(id);
      if (row !== null && isCopy(row)) record = this.recordOf({ ...row, channel: row.channel ?? null }) ?? undefined;
      else if (row !== null && row.kind === "broadcast") record = this.firstCopy(row) ?? undefined;
    }
    if (record !== undefined) {
      if (this.dirty.size === 0) {
        setTimeout(() => {
          const ids = [...this.dirty];
          this.dirty.clear();
          for (const r of ids) {
            const state = this.recordState(r);
            if (state !== null) this.push({ type: "state", id: r, state });
          }
        }, 0);
      }
      this.dirty.add(record);
      return;
    }
    const via = this.via.get(id);
    const state: UiState = readAt !== undefined ? { state: "read", ...(via && { via }) } : { state: "delivered", ...(via && { via }) };
    this.push({ type: "state", id, state, ...(readAt !== undefined && { read_at: iso(readAt) }) });
  }
}
