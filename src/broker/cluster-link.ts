/**
 * The one interface the broker sees of a cluster (docs/cluster.md): the ops
 * call it only when `b.cluster` is set, so a broker on its own never loads
 * src/cluster/ or the NATS clients.
 */
import type { SendStatus, StatusResult } from "../protocol/responses.ts";

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
}
