/**
 * Channels cluster-wide (docs/cluster.md#2-message-flows). Membership: the KV
 * bucket `ipc_<space>_channels`, key `<channel without #>.<member>`, value
 * `{broker, at}` (the member's home broker, when it joined, ms). A key is
 * written only by its member's home broker, so writes never race; every
 * broker watches the bucket into memory, so a membership check or a list is a
 * map lookup. This broker's own channel_members rows stay the truth for its
 * members: they are committed first (NATS may be down) and the bucket is
 * brought in line with them after the commit and every 5 s (`sync`).
 * Posts: a member homed on another broker gets its copy as a cross-broker
 * message (outbox → its subject → its home's consumer → deliver()), with
 * `channel` set and a wire id unique per recipient.
 */
import type { KV } from "@nats-io/kv";
import type { Broker } from "../broker/broker.ts";
import type { ClusterChannels } from "../broker/cluster-link.ts";
import { log } from "../broker/log.ts";
import { IpcError } from "../protocol/errors.ts";
import * as v from "valibot";
import { Name } from "../protocol/names.ts";
import type { Directory } from "./directory.ts";
import type { Nats } from "./nats.ts";
import type { Publisher } from "./publisher.ts";
import { dropped, type Membership, Membership as MembershipSchema, parseRecord, type Wire } from "./records.ts";
import type { Signer } from "./space-key.ts";
import type { ClusterStore } from "./store.ts";
import { channelsBucketName, recipientSubject } from "./subjects.ts";

/** How often the bucket is brought in line with this broker's rows (ms): catches writes that failed while NATS was away. */
const SYNC_MS = 5_000;
/** Room left in NATS's max_payload for the envelope of a stream message (bytes). */
const ENVELOPE = 8_192;

const keyOf = (channel: string, member: string): string => `${channel.slice(1)}.${member}`;

export class ChannelMembers implements ClusterChannels {
  /** '#channel' → member → membership, as the bucket holds them. */
  private readonly bucket = new Map<string, Map<string, Membership>>();
  private kv: KV | null = null;
  private nats: Nats | null = null;
  private stopped = false;
  private syncing = false;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly b: Broker,
    private readonly store: ClusterStore,
    private readonly directory: Directory,
    private readonly publisher: Publisher,
    private readonly space: string,
    private readonly signer: Signer,
  ) {
    this.timer = setInterval(() => void this.sync(), SYNC_MS);
  }

  /** Starts watching the bucket (last values, then every change) and syncs this broker's rows into it. */
  async open(nats: Nats): Promise<void> {
    this.nats = nats;
    this.kv = nats.channels;
    const watch = await nats.channels.watch();
    void (async () => {
      for await (const e of watch) {
        if (this.stopped) break;
        const dot = e.key.indexOf(".");
        const channel = `#${e.key.slice(0, dot)}`;
        const member = e.key.slice(dot + 1);
        if (dot < 1 || !/^[a-z0-9_-]{1,32}$/.test(e.key.slice(0, dot)) || !v.is(Name, member) || member !== member.toLowerCase()) {
          dropped(`the channels bucket's key ${JSON.stringify(e.key.slice(0, 80))}: not <channel>.<member>`);
          continue;
        }
        // A removal needs no signature: a member's home broker writes its rows back within SYNC_MS (sync).
        if (e.operation !== "PUT") {
          this.bucket.get(channel)?.delete(member);
          if (this.bucket.get(channel)?.size === 0) this.bucket.delete(channel);
          continue;
        }
        const json = this.signer.open(channelsBucketName(this.space), e.key, e.string());
        const m = json === null ? null : parseRecord(MembershipSchema, json);
        if (m === null) {
          dropped(`${member}'s membership of ${channel}: not signed with this space's key, or malformed`);
          continue;
        }
        let members = this.bucket.get(channel);
        if (members === undefined) this.bucket.set(channel, (members = new Map()));
        members.set(member, m);
      }
    })().catch((err: unknown) => log.warn(`cluster: channels watch ended: ${(err as Error).message}`));
    await this.sync();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** True when `name`'s home is another broker (by the directory). */
  private homedElsewhere(name: string): boolean {
    const home = this.directory.homeOf(name);
    return home !== null && home !== this.store.node;
  }

  /**
   * Whether a local row of `member` in `channel` counts: always, unless the
   * member moved to another broker and that broker removed its key (left there).
   */
  private counts(channel: string, member: string): boolean {
    return !this.homedElsewhere(member) || this.bucket.get(channel)?.has(member) === true;
  }

  members(channel: string, local: readonly string[]): string[] {
    const out = new Set(local.filter((m) => this.counts(channel, m)));
    for (const [member, m] of this.bucket.get(channel) ?? []) if (m.broker !== this.store.node) out.add(member);
    return [...out].sort();
  }

  channelsOf(name: string, local: readonly string[]): string[] {
    const out = new Set(local.filter((ch) => this.counts(ch, name)));
    for (const [channel, members] of this.bucket) {
      const m = members.get(name);
      if (m !== undefined && m.broker !== this.store.node) out.add(channel);
    }
    return [...out].sort();
  }

  all(local: ReadonlyMap<string, readonly string[]>): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const channel of new Set([...local.keys(), ...this.bucket.keys()])) {
      const members = this.members(channel, local.get(channel) ?? []);
      if (members.length > 0) out.set(channel, members);
    }
    return new Map([...out].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
  }

  joined(channel: string, name: string, at: number): void {
    this.b.commit.afterCommit(() => void this.put(channel, name, at));
  }

  left(channel: string, name: string): void {
    this.b.commit.afterCommit(() => void this.remove(channel, name));
  }

  remote(members: readonly string[], content: string, data: string | null): Set<string> {
    const out = new Set<string>();
    for (const m of members) {
      const home = this.directory.homeOf(m);
      if (home === null ? !this.b.registry.isRegistered(m) : home !== this.store.node) out.add(m);
    }
    if (out.size === 0) return out;
    const max = (this.nats?.nc.info?.max_payload ?? 1_048_576) - ENVELOPE;
    const bytes = Buffer.byteLength(content) + (data === null ? 0 : Buffer.byteLength(data));
    if (bytes > max) {
      throw new IpcError("TOO_LARGE", `a post reaching members on other brokers can carry at most ${max} bytes (NATS max_payload); this one has ${bytes}: share a file path instead`);
    }
    return out;
  }

  post(sender: string, channel: string, members: ReadonlySet<string>, content: string, data: string | null, record: number, replyTo: number | null, now: number): void {
    const reply = replyTo === null ? undefined : this.store.refOf(replyTo);
    for (const to of members) {
      // The record's id and the member: unique per recipient, so the recipient's broker keeps every member's copy, once.
      const wire: Wire = { id: `${this.store.node}.${record}.${to}`, from: sender, to, kind: "channel", content, data, created_at: now, channel };
      if (reply !== undefined) wire.reply = reply;
      this.store.enqueue(wire.id, recipientSubject(this.space, to), JSON.stringify(wire));
    }
    if (members.size > 0) this.b.commit.afterCommit(() => this.publisher.kick());
  }

  private async put(channel: string, member: string, at: number): Promise<void> {
    const m: Membership = { broker: this.store.node, at };
    try {
      const key = keyOf(channel, member);
      await this.kv?.put(key, this.signer.seal(channelsBucketName(this.space), key, JSON.stringify(m)));
    } catch (err) {
      log.warn(`cluster: cannot write ${member}'s membership of ${channel} yet (${(err as Error).message}); retried in ${SYNC_MS / 1000} s`);
    }
  }

  private async remove(channel: string, member: string): Promise<void> {
    try {
      await this.kv?.delete(keyOf(channel, member));
    } catch (err) {
      log.warn(`cluster: cannot remove ${member}'s membership of ${channel} yet (${(err as Error).message}); retried in ${SYNC_MS / 1000} s`);
    }
  }

  /**
   * Brings the bucket in line with this broker's channel_members rows: writes
   * the rows of members homed here that the bucket lacks (joined while NATS
   * was away, or renamed), removes this broker's keys that have no row any
   * more (left while away). Both are idempotent, so a sync before the watch
   * has caught up only repeats a write. One at a time.
   */
  async sync(): Promise<void> {
    if (this.kv === null || this.syncing || this.stopped) return;
    this.syncing = true;
    try {
      const me = this.store.node;
      const local = this.b.channels.all();
      const writes: Array<Promise<void>> = [];
      for (const [channel, members] of local) {
        for (const member of members) {
          if (this.homedElsewhere(member) || this.bucket.get(channel)?.get(member)?.broker === me) continue;
          writes.push(this.put(channel, member, this.b.clock()));
        }
      }
      for (const [channel, members] of this.bucket) {
        const rows = local.get(channel);
        for (const [member, m] of members) if (m.broker === me && !rows?.includes(member)) writes.push(this.remove(channel, member));
      }
      await Promise.all(writes);
    } finally {
      this.syncing = false;
    }
  }
}
