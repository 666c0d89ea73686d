/**
 * Names and presence cluster-wide (docs/cluster.md#2-message-flows): the KV
 * bucket, watched into memory so routing is a map lookup, and written by
 * compare-and-set on the revision this broker last saw.
 */
import type { KV } from "@nats-io/kv";
import { log } from "../broker/log.ts";

/**
 * One name's entry: its home broker, whether a session holds it there (`live`, as of `at`, ms), its unread
 * count there as of the last heartbeat, and a rename's forwarding.
 */
export interface Entry {
  broker: string;
  live: boolean;
  at: number;
  unread?: number;
  forward?: string;
  until?: number;
}

/** A `live` entry not rewritten for this long (ms) is not live: its broker is gone or cut off. */
export const STALE_MS = 30_000;

export class Directory {
  readonly entries = new Map<string, { entry: Entry; revision: number }>();
  private kv: KV | null = null;
  private stopped = false;

  constructor(
    readonly me: string,
    /** Called for every change seen (own writes included), with the new entry or null when it was removed. */
    private readonly changed: (name: string, entry: Entry | null) => void,
  ) {}

  /** Starts watching `kv` (last values first, then every update) until `stop`. */
  async open(kv: KV): Promise<void> {
    this.kv = kv;
    const watch = await kv.watch();
    void (async () => {
      for await (const e of watch) {
        if (this.stopped) break;
        if (e.operation !== "PUT") {
          this.entries.delete(e.key);
          this.changed(e.key, null);
          continue;
        }
        let entry: Entry;
        try {
          entry = e.json<Entry>();
        } catch {
          continue; // not ours: ignored
        }
        const known = this.entries.get(e.key);
        if (known !== undefined && known.revision > e.revision) continue;
        this.entries.set(e.key, { entry, revision: e.revision });
        this.changed(e.key, entry);
      }
    })().catch((err: unknown) => log.warn(`cluster: directory watch ended: ${(err as Error).message}`));
  }

  stop(): void {
    this.stopped = true;
  }

  /** True when a live session on another broker holds `name` (forwardings hold nothing). */
  heldElsewhere(name: string, now: number): boolean {
    const e = this.entries.get(name)?.entry;
    return e !== undefined && e.broker !== this.me && e.forward === undefined && e.live && now - e.at < STALE_MS;
  }

  /** The id of `name`'s home broker, or null when no broker has claimed it. */
  homeOf(name: string): string | null {
    return this.entries.get(name)?.entry.broker ?? null;
  }

  /** Where a message to `name` goes after a rename on some broker, or null. */
  forwardOf(name: string, now: number): string | null {
    const e = this.entries.get(name)?.entry;
    return e?.forward !== undefined && (e.until ?? 0) > now ? e.forward : null;
  }

  /** Names whose home is another broker, with their entries (no forwardings): list shows them. */
  remoteEntries(): Array<[string, Entry]> {
    const out: Array<[string, Entry]> = [];
    for (const [name, { entry }] of this.entries) if (entry.broker !== this.me && entry.forward === undefined) out.push([name, entry]);
    return out;
  }

  /** Names whose home is another broker (and not a forwarding): broadcast reaches them through the stream. */
  remoteNames(): string[] {
    const out: string[] = [];
    for (const [name, { entry }] of this.entries) if (entry.broker !== this.me && entry.forward === undefined) out.push(name);
    return out;
  }

  /**
   * Writes `entry` for `name` by compare-and-set (create when absent). On a
   * lost race it re-reads the entry and tries again unless a live session on
   * another broker now holds the name.
   * `force` (a takeover): written even when a live session on another broker holds the name.
   * @returns true when written; false when another broker holds the name or NATS is unreachable.
   */
  async write(name: string, entry: Entry, force = false): Promise<boolean> {
    const kv = this.kv;
    if (kv === null) return false;
    const text = JSON.stringify(entry);
    for (let attempt = 0; attempt < 3; attempt++) {
      const known = this.entries.get(name);
      try {
        const revision = known === undefined ? await kv.create(name, text) : await kv.update(name, text, known.revision);
        const now = this.entries.get(name);
        if (now === undefined || now.revision < revision) this.entries.set(name, { entry, revision });
        return true;
      } catch (err) {
        let got: Awaited<ReturnType<KV["get"]>>;
        try {
          got = await kv.get(name);
        } catch {
          log.warn(`cluster: cannot write the directory entry of ${name}: ${(err as Error).message}`);
          return false;
        }
        if (got === null || got.operation !== "PUT") this.entries.delete(name);
        else this.entries.set(name, { entry: got.json<Entry>(), revision: got.revision });
        if (!force && entry.broker === this.me && !entry.forward && this.heldElsewhere(name, Date.now())) return false;
      }
    }
    return false;
  }
}
