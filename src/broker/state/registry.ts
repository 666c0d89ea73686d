/**
 * In-memory view of who exists: registered instances (with last_seen kept in
 * memory and flushed on a timer), forwardings, unread counts per recipient,
 * and live connections per name. Loaded from the store at start; the store
 * stays the source of truth and every change is written through in the same
 * transaction as the write that caused it.
 */
import type { InstanceStore } from "../../store/instances.ts";
import type { MessageStore } from "../../store/messages.ts";

/** A registered instance as the broker tracks it. Times in ms. */
export interface InstanceState {
  name: string;
  registeredAt: number;
  lastSeen: number;
  /** last_seen as last written to the database. */
  flushedLastSeen: number;
  renamedAt: number | null;
  /** Who holds the name (see InstanceStore): history belongs to it, not to the name. */
  identity: number;
}

/** An identity no message has. */
export const NO_IDENTITY = 0;

export class Registry {
  readonly instances = new Map<string, InstanceState>();
  /** old name → { new name, expiry (ms) } */
  readonly forwards = new Map<string, { to: string; expiresAt: number }>();
  private unread = new Map<string, number>();
  /** Messages stored, kept current by inserts and deletes (status reads it; no table scan). */
  messageCount = 0;
  private readonly online = new Map<string, number>();
  /** Registered names in order, built when first needed after a change (for paged `list`). */
  private sorted: string[] | null = null;

  constructor(
    private readonly instanceStore: InstanceStore,
    private readonly messageStore: MessageStore,
  ) {
    this.reload();
  }

  /** Re-reads everything from the database (at start, and after a failed commit). */
  reload(): void {
    this.sorted = null;
    this.instances.clear();
    for (const r of this.instanceStore.all()) {
      this.instances.set(r.name, {
        name: r.name,
        registeredAt: r.registered_at,
        lastSeen: r.last_seen,
        flushedLastSeen: r.last_seen,
        renamedAt: r.renamed_at,
        identity: r.identity,
      });
    }
    this.forwards.clear();
    for (const f of this.instanceStore.forwards()) this.forwards.set(f.old_name, { to: f.new_name, expiresAt: f.expires_at });
    this.unread = this.messageStore.unreadCounts();
    this.messageCount = this.messageStore.count();
  }

  isRegistered(name: string): boolean {
    return this.instances.has(name);
  }

  /** Where a message to `name` goes at `now`: the forwarding target, or null. */
  forwardOf(name: string, now: number): string | null {
    const f = this.forwards.get(name);
    return f !== undefined && f.expiresAt > now ? f.to : null;
  }

  /** forwardOf at `clock()`, reading the clock only when `name` has a forwarding (the send path's common case has none). */
  forwardNow(name: string, clock: () => number): string | null {
    const f = this.forwards.get(name);
    return f !== undefined && f.expiresAt > clock() ? f.to : null;
  }

  /** Registers (or refreshes) `name` in memory and in the store. */
  register(name: string, now: number): void {
    const identity = this.instanceStore.upsert(name, now);
    const existing = this.instances.get(name);
    if (existing) {
      existing.lastSeen = Math.max(existing.lastSeen, now);
      existing.flushedLastSeen = existing.lastSeen;
    } else {
      this.instances.set(name, { name, registeredAt: now, lastSeen: now, flushedLastSeen: now, renamedAt: null, identity });
      this.keepSorted(null, name);
    }
    if (this.forwards.delete(name)) this.instanceStore.deleteForward(name);
  }

  /** The identity holding `name`; NO_IDENTITY (matches no message) when nobody does. */
  identityOf(name: string): number {
    return this.instances.get(name)?.identity ?? NO_IDENTITY;
  }

  /** Releases `name` (expired) in memory and in the store; a later holder gets a new identity. */
  release(name: string): void {
    this.instanceStore.delete(name);
    this.instances.delete(name);
    this.keepSorted(name, null);
  }

  /**
   * Up to `limit` registered instances by name, after `cursor` (exclusive);
   * `next` is the cursor for the rest, or null when there is no more; `more` counts the rest.
   */
  page(cursor: string | undefined, limit: number): { page: InstanceState[]; next: string | null; more: number } {
    this.sorted ??= [...this.instances.keys()].sort();
    const names = this.sorted;
    const lo = cursor === undefined ? 0 : this.after(names, cursor);
    const slice = names.slice(lo, lo + limit);
    const next = lo + limit < names.length ? slice[slice.length - 1]! : null;
    return { page: slice.map((n) => this.instances.get(n)!), next, more: names.length - lo - slice.length };
  }

  /** Keeps the sorted names (if built) in order: `gone` leaves, `added` comes in at its place. */
  private keepSorted(gone: string | null, added: string | null): void {
    const names = this.sorted;
    if (names === null) return;
    if (gone !== null) {
      const at = this.after(names, gone) - 1;
      if (names[at] === gone) names.splice(at, 1);
    }
    if (added !== null) names.splice(this.after(names, added), 0, added);
  }

  /** The index of the first of the sorted `names` that comes after `name`. */
  private after(names: readonly string[], name: string): number {
    let lo = 0;
    let hi = names.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (names[mid]! <= name) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Notes activity by `name` (flushed later by `flushLastSeen`). */
  seen(name: string, now: number): void {
    const i = this.instances.get(name);
    if (i !== undefined && now > i.lastSeen) i.lastSeen = now;
  }

  /** Writes changed last_seen values to the store; call inside a transaction. Returns how many. */
  flushLastSeen(): number {
    let n = 0;
    for (const i of this.instances.values()) {
      if (i.lastSeen > i.flushedLastSeen) {
        this.instanceStore.touch(i.name, i.lastSeen);
        i.flushedLastSeen = i.lastSeen;
        n++;
      }
    }
    return n;
  }

  unreadOf(name: string): number {
    return this.unread.get(name) ?? 0;
  }

  addUnread(name: string, delta: number): void {
    const n = (this.unread.get(name) ?? 0) + delta;
    if (n > 0) this.unread.set(name, n);
    else this.unread.delete(name);
  }

  /** Unread messages of everyone. */
  totalUnread(): number {
    let n = 0;
    for (const v of this.unread.values()) n += v;
    return n;
  }

  /** Names that have unread messages (registered or not). */
  unreadRecipients(): string[] {
    return [...this.unread.keys()];
  }

  /** Renames an instance in memory (the store is updated by the caller). */
  rename(oldName: string, newName: string, now: number): void {
    const i = this.instances.get(oldName);
    if (i !== undefined) {
      this.instances.delete(oldName);
      this.instances.set(newName, { ...i, name: newName, renamedAt: now, lastSeen: now, flushedLastSeen: now });
      this.keepSorted(oldName, newName);
    }
    const moved = this.unread.get(oldName) ?? 0;
    this.unread.delete(oldName);
    if (moved > 0) this.addUnread(newName, moved);
    const live = this.online.get(oldName) ?? 0;
    this.online.delete(oldName);
    if (live > 0) this.online.set(newName, (this.online.get(newName) ?? 0) + live);
    for (const f of this.forwards.values()) if (f.to === oldName) f.to = newName;
  }

  /** Counts a live connection bound to `name` (+1 on bind, -1 on close). */
  connected(name: string, delta: 1 | -1): void {
    const n = (this.online.get(name) ?? 0) + delta;
    if (n > 0) this.online.set(name, n);
    else this.online.delete(name);
  }

  /** Recounts live connections from the names they are bound to (after a rollback). */
  resetConnected(names: readonly string[]): void {
    this.online.clear();
    for (const n of names) this.connected(n, 1);
  }

  /** Has a live connection. */
  isConnected(name: string): boolean {
    return (this.online.get(name) ?? 0) > 0;
  }
}
