/**
 * The one interface the broker sees of a cluster (docs/cluster.md): the ops
 * call it only when `b.cluster` is set, so a broker on its own never loads
 * src/cluster/ or the NATS clients.
 */
import type { SendStatus, StatusResult } from "../protocol/responses.ts";
import type { ClaimRow } from "../store/claims.ts";

export interface ClusterLink {
  /**
   * A direct message that belongs to another broker (or to a name no broker
   * here knows): stores the sender's copy and an outbox row in the open
   * transaction and returns the send result; null when it stays local.
   * `forwarded`: the name was already resolved through a local forwarding.
   */
  send(sender: string, to: string, content: string, data: string | null, forwarded: boolean): { message_id: number; to: string; status: SendStatus } | null;
  /** The ids of the broadcast copies sent to names whose home is another broker (`local`: the names served here). */
  broadcast(sender: string, content: string, data: string | null, local: ReadonlySet<string>): number[];
  /** @throws IpcError NAME_TAKEN when a live session on another broker holds `name`. */
  refuseHeld(name: string): void;
  /** `name` was registered (or authenticated) here: claim it cluster-wide after the commit. */
  registered(name: string): void;
  /** `from` was renamed to `to` here; `from` forwards until `expiresAt` (ms). */
  renamed(from: string, to: string, expiresAt: number): void;
  /** The names whose home is another broker, for `list`: last heartbeat (ms) and whether a live session holds them there. */
  remoteInstances(): Array<{ name: string; lastSeen: number; online: boolean }>;
  status(): NonNullable<StatusResult["cluster"]>;
  stop(): Promise<void>;
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
