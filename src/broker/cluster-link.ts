/**
 * The one interface the broker sees of a cluster (docs/cluster.md): the ops
 * call it only when `b.cluster` is set, so a broker on its own never loads
 * src/cluster/ or the NATS clients.
 */
import type { SendStatus, StatusResult } from "../protocol/responses.ts";
import type { ClaimRow } from "../store/claims.ts";

/**
 * How claiming a name cluster-wide ended: `won`; `taken` (another broker's live session won a race: the
 * sessions here were revoked); `unreachable` (NATS failed meanwhile: held here, claimed by the heartbeat
 * later); `failed` (the local transaction did not commit).
 */
export type ClaimOutcome = "won" | "taken" | "unreachable" | "failed";

export interface ClusterLink {
  /**
   * A direct message that belongs to another broker (or to a name no broker
   * here knows): stores the sender's copy and an outbox row in the open
   * transaction and returns the send result; null when it stays local.
   * `replyTo`: the local message it answers (crosses as a cluster-wide ref).
   * `forwarded`: the name was already resolved through a local forwarding.
   */
  send(
    sender: string,
    to: string,
    content: string,
    data: string | null,
    replyTo: number | null,
    forwarded: boolean,
  ): { message_id: number; to: string; status: SendStatus } | null;
  /** The ids of the broadcast copies sent to names whose home is another broker (`local`: the names served here). */
  broadcast(sender: string, content: string, data: string | null, local: ReadonlySet<string>): number[];
  /** @throws IpcError NAME_TAKEN when a live session on another broker holds `name` (a takeover does not ask). */
  refuseHeld(name: string): void;
  /**
   * `name` was registered here: claims it cluster-wide after the commit (`takeover`: even from a live
   * session on another broker, which loses it). The register is answered when this settles; null when
   * NATS is not reachable now (answer at once: the heartbeat claims the name once NATS is back).
   */
  registered(name: string, takeover: boolean): Promise<ClaimOutcome> | null;
  /** `from` was renamed to `to` here; `from` forwards until `expiresAt` (ms). */
  renamed(from: string, to: string, expiresAt: number): void;
  /** The names whose home is another broker, for `list`: last heartbeat (ms), whether a live session holds them there, and their unread count there as of that heartbeat. */
  remoteInstances(): Array<{ name: string; lastSeen: number; online: boolean; unread: number }>;
  status(): NonNullable<StatusResult["cluster"]>;
  stop(): Promise<void>;
  /** Channel membership and posts cluster-wide (src/cluster/channels.ts). */
  readonly channels: ClusterChannels;
  /**
   * The stored file claims of `project` (of every project when undefined, at
   * most 1 000), as this broker last saw the cluster's claims bucket: memory,
   * no NATS call, so it answers while NATS is unreachable. Expired ones (at
   * `now`, ms) are left out; the holders' liveness is the caller's business.
   */
  claimRows(project: string | undefined, now: number): ClaimRow[];
  /**
   * Rewrites the claims of `project` cluster-wide by compare-and-set:
   * `change` gets the stored rows at one revision and returns the new list
   * (null: nothing to write), or throws an IpcError to refuse; on a lost race
   * it runs again on the newer rows (a bounded number of times).
   * @returns the rows written (or those `change` left unchanged).
   * @throws IpcError UNAVAILABLE when NATS is unreachable or the races go on;
   *   TOO_LARGE when the project's claims would not fit one KV value.
   */
  updateClaims(project: string, change: (rows: readonly ClaimRow[]) => ClaimRow[] | null): Promise<ClaimRow[]>;
  /**
   * Whether `name`, homed on another broker, has a live session there, and
   * when it last had one (ms, its directory heartbeat); null when its home is
   * this broker or no broker has claimed it.
   */
  presence(name: string): { online: boolean; lastLive: number } | null;
}

/**
 * Channels on a cluster (docs/cluster.md#2-message-flows). `local` arguments
 * are this broker's channel_members rows (the truth for the members homed
 * here); the answers add the members homed on other brokers, from memory.
 */
export interface ClusterChannels {
  /** Every member of `channel` cluster-wide, sorted. */
  members(channel: string, local: readonly string[]): string[];
  /** Every channel `name` is in cluster-wide, sorted (`local`: its channels here). */
  channelsOf(name: string, local: readonly string[]): string[];
  /** Every channel with members cluster-wide, sorted by name. */
  all(local: ReadonlyMap<string, readonly string[]>): Map<string, string[]>;
  /** `name` (homed here) joined `channel` in the open transaction, at `at` (ms): written to the bucket after the commit. */
  joined(channel: string, name: string, at: number): void;
  /** `name` left `channel` (its row here, if any, removed in the open transaction): removed from the bucket after the commit. */
  left(channel: string, name: string): void;
  /**
   * The `members` whose copy of a post goes to another broker.
   * @throws IpcError TOO_LARGE when there are some and the post does not fit a stream message (call before writing).
   */
  remote(members: readonly string[], content: string, data: string | null): Set<string>;
  /** Queues the copies of post `record` (this broker's record id; `replyTo`: the local message it answers) for `members` homed elsewhere, in the open transaction. */
  post(sender: string, channel: string, members: ReadonlySet<string>, content: string, data: string | null, record: number, replyTo: number | null, now: number): void;
}
