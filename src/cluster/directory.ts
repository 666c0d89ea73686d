/**
 * Names and presence cluster-wide (docs/cluster.md#2-message-flows): the KV
 * bucket, watched into memory so routing is a map lookup, and written by
 * compare-and-set on the revision this broker last saw.
 */
import type { KV } from "@nats-io/kv";
import { log } from "../broker/log.ts";
import type { Nats } from "./nats.ts";
import { dropped, Entry, parseRecord } from "./records.ts";
import type { Signer } from "./space-key.ts";
import { bucketName, SPACE_MARKER } from "./subjects.ts";

export type { Entry } from "./records.ts";

/** A `live` entry not rewritten for this long (ms) is not live: its broker is gone or cut off. */
export const STALE_MS = 30_000;

/** Tries of a bucket-wide compare-and-set for a name changing hands before the per-key one (see claim). */
const MAX_CLAIMS = 5;

export class Directory {
  /** The valid entries (signed with the space key, well-formed), by name. */
  readonly entries = new Map<string, { entry: Entry; revision: number }>();
  /** The bucket revision of each key's last write of any kind (valid or not, delete or purge): what a compare-and-set names. */
  private readonly revisions = new Map<string, number>();
  private kv: KV | null = null;
  private nats: Nats | null = null;
  /** The bucket's KV subject prefix (`$KV.<bucket>.`). */
  private prefix = "";
  /** The highest bucket sequence the watch has delivered (a put, delete or purge of any key). */
  private seen = 0;
  private stopped = false;
  private bucket = "";

  constructor(
    readonly me: string,
    private readonly signer: Signer,
    /** Called for every change seen (own writes included), with the new entry or null when it was removed. */
    private readonly changed: (name: string, entry: Entry | null) => void,
  ) {}

  /** Starts watching `kv` (last values first, then every update) until `stop`. */
  async open(nats: Nats, space: string): Promise<void> {
    const kv = nats.kv;
    this.kv = kv;
    this.nats = nats;
    this.bucket = bucketName(space);
    this.prefix = `$KV.${this.bucket}.`;
    const watch = await kv.watch();
    void (async () => {
      for await (const e of watch) {
        if (this.stopped) break;
        this.seen = Math.max(this.seen, e.revision);
        if (e.key === SPACE_MARKER) continue;
        this.revisions.set(e.key, Math.max(this.revisions.get(e.key) ?? 0, e.revision));
        // Brokers never delete a name's entry: a delete or purge is not a broker's, and changes nothing.
        if (e.operation !== "PUT") {
          if (this.entries.has(e.key)) dropped(`a ${e.operation} of ${e.key}'s directory entry (brokers never remove one)`);
          continue;
        }
        const entry = this.valid(e.key, e.string());
        if (entry === null) {
          dropped(`${e.key}'s directory entry at revision ${e.revision}: not signed with this space's key, or malformed`);
          continue;
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

  /** The entry a value holds when it is signed with the space key for `name` and well-formed; else null. */
  private valid(name: string, value: string): Entry | null {
    const json = this.signer.open(this.bucket, name, value);
    return json === null ? null : parseRecord(Entry, json);
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
   * Writes `entry` for `name` (a change of hands) by compare-and-set on the
   * bucket's last sequence as the watch has delivered it
   * (`Nats-Expected-Last-Sequence`), so of two brokers claiming a name at the
   * same moment exactly one lands. Not KV's per-key compare-and-set alone:
   * nats-server 2.9.10 (Debian's) checks that one only before the Raft
   * proposal, so two concurrent creates of one key can both pass
   * (nats-io/nats-server#4320); every replica checks the stream-wide one as it
   * applies the write. Other brokers' heartbeats move the bucket on: on a lost
   * race it waits (bounded) for the watch to catch up and checks again.
   * @returns true when written; false when a live session elsewhere holds it (not `force`) or NATS failed;
   *   "fallback" when the bucket moved on too fast for MAX_CLAIMS tries (then per-key compare-and-set).
   */
  private async claim(name: string, entry: Entry, text: string, force: boolean): Promise<boolean | "fallback"> {
    const nats = this.nats!;
    let base = this.seen;
    for (let attempt = 0; attempt < MAX_CLAIMS; attempt++) {
      if (!force && entry.broker === this.me && !entry.forward && this.heldElsewhere(name, Date.now())) return false;
      let last: number;
      try {
        const ack = await nats.js.publish(this.prefix + name, text, { expect: { lastSequence: base } });
        const now = this.entries.get(name);
        if (now === undefined || now.revision < ack.seq) this.entries.set(name, { entry, revision: ack.seq });
        this.revisions.set(name, Math.max(this.revisions.get(name) ?? 0, ack.seq));
        return true;
      } catch (err) {
        const { JetStreamApiError, JetStreamApiCodes } = nats.jsmod;
        if (!(err instanceof JetStreamApiError) || err.code !== JetStreamApiCodes.StreamWrongLastSequence) {
          log.warn(`cluster: cannot claim ${name} in the directory: ${(err as Error).message}`);
          return false;
        }
        try {
          last = (await nats.jsm.streams.info(`KV_${this.prefix.slice(4, -1)}`)).state.last_seq;
        } catch {
          return false;
        }
      }
      // Let the watch catch up (bounded: 1 s); what it has not delivered of this name by then is read directly.
      for (let i = 0; i < 100 && this.seen < last; i++) await Bun.sleep(10);
      if (this.seen < last && !(await this.refresh(name))) return false;
      base = Math.max(this.seen, last);
    }
    return "fallback";
  }

  /** Reads `name`'s entry from the bucket into memory (its revision always; its entry when valid); false when NATS failed. */
  private async refresh(name: string): Promise<boolean> {
    try {
      const got = await this.kv!.get(name);
      if (got === null) {
        this.revisions.delete(name); // no such key now: the next write creates it
        return true;
      }
      this.revisions.set(name, got.revision);
      const entry = got.operation === "PUT" ? this.valid(name, got.string()) : null;
      const known = this.entries.get(name);
      if (entry !== null && (known === undefined || known.revision <= got.revision)) this.entries.set(name, { entry, revision: got.revision });
      return true;
    } catch {
      return false;
    }
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
    const text = this.signer.seal(this.bucket, name, JSON.stringify(entry));
    // A name changing hands (claimed, taken over) is written by compare-and-set on the whole bucket.
    const before = this.entries.get(name);
    if (before === undefined || before.entry.broker !== entry.broker) {
      const claimed = await this.claim(name, entry, text, force);
      if (claimed !== "fallback") return claimed;
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      const known = this.revisions.get(name);
      try {
        const revision = known === undefined ? await kv.create(name, text) : await kv.update(name, text, known);
        const now = this.entries.get(name);
        if (now === undefined || now.revision < revision) this.entries.set(name, { entry, revision });
        this.revisions.set(name, Math.max(this.revisions.get(name) ?? 0, revision));
        return true;
      } catch (err) {
        if (!(await this.refresh(name))) {
          log.warn(`cluster: cannot write the directory entry of ${name}: ${(err as Error).message}`);
          return false;
        }
        if (!force && entry.broker === this.me && !entry.forward && this.heldElsewhere(name, Date.now())) return false;
      }
    }
    return false;
  }
}
