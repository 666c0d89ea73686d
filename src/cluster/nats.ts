/**
 * Connecting to NATS and making sure the space's stream and KV bucket exist.
 * The three official clients (@nats-io/transport-node, /jetstream, /kv) are
 * imported here, lazily: only `ipc serve --nats` loads this file.
 */
import { log } from "../broker/log.ts";
import type { ClusterSettings } from "../config.ts";
import type { Signer } from "./space-key.ts";
import { allRecipients, bucketName, channelsBucketName, claimsBucket, SPACE_MARKER, streamName } from "./subjects.ts";

type Transport = typeof import("@nats-io/transport-node");
type JetStreamModule = typeof import("@nats-io/jetstream");

/** A live link: the connection, JetStream, its manager, the names, channels and claims buckets, and the modules (for constants). */
export interface Nats {
  nc: import("@nats-io/transport-node").NatsConnection;
  js: import("@nats-io/jetstream").JetStreamClient;
  jsm: import("@nats-io/jetstream").JetStreamManager;
  kv: import("@nats-io/kv").KV;
  /** Channel membership (src/cluster/channels.ts). */
  channels: import("@nats-io/kv").KV;
  /** File claims, one key per project (src/cluster/claims.ts). */
  claimsKv: import("@nats-io/kv").KV;
  jsmod: JetStreamModule;
  nanos: (ms: number) => number;
  /** Makes message headers (the signature of a stream message rides in one). */
  headers: Transport["headers"];
  /** Replicas of the stream and bucket (3 on a cluster of three or more, else 1). */
  replicas: number;
}

/** How long cross-broker mail and duplicate ids are kept in the stream. */
const MAX_AGE_MS = 7 * 24 * 3_600_000;
const DUPLICATE_WINDOW_MS = 120_000;

/** A connection NATS refused to make safe: the broker stays on its own (status and doctor show why). */
export class NatsRefused extends Error {}

/**
 * The authenticator for a credentials file, by its content: a NATS .creds
 * file (a user JWT and nkey seed, as `nsc` makes; decentralised auth), a bare
 * nkey user seed (`SU…`, nkeys in the server's config), or `user:password` on
 * its first line (users in the server's config; the password may hold ':').
 * @throws NatsRefused when the file cannot be read or is none of these.
 */
async function authenticatorFor(transport: Transport, file: string) {
  let text: string;
  try {
    text = await Bun.file(file).text();
  } catch (err) {
    throw new NatsRefused(`cannot read the NATS credentials ${file}: ${(err as Error).message}`);
  }
  const bytes = new TextEncoder().encode(text);
  if (text.includes("BEGIN NATS USER JWT")) return transport.credsAuthenticator(bytes);
  const line = text.split("\n")[0]!.trim();
  if (/^SU[A-Z2-7]{56}$/.test(line)) return transport.nkeyAuthenticator(new TextEncoder().encode(line));
  const colon = line.indexOf(":");
  if (colon > 0 && colon < line.length - 1) return transport.usernamePasswordAuthenticator(line.slice(0, colon), line.slice(colon + 1));
  throw new NatsRefused(`${file} is not NATS credentials: a .creds file (nsc), an nkey user seed (SU…), or user:password on one line`);
}

/**
 * Connects (retrying the first connection for as long as it takes: the broker
 * serves its local agents meanwhile) and reconnects forever after. With TLS
 * (tls:// URLs, or a CA file) the servers' certificates are verified (against
 * `settings.ca` when given).
 * @throws NatsRefused when, without --nats-insecure, the server lets clients in without authentication
 *   (its INFO has no auth_required): anyone could then read and delete the space.
 */
export async function connectNats(settings: ClusterSettings, name: string): Promise<import("@nats-io/transport-node").NatsConnection> {
  const transport: Transport = await import("@nats-io/transport-node");
  const authenticator = settings.creds === null ? undefined : await authenticatorFor(transport, settings.creds);
  const tls = settings.ca !== null ? { caFile: settings.ca } : settings.servers.some((u) => u.startsWith("tls://")) ? {} : undefined;
  const nc = await transport.connect({
    servers: settings.servers,
    name,
    authenticator,
    ...(tls !== undefined && { tls }),
    waitOnFirstConnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 100,
    pingInterval: 5_000,
    maxPingOut: 2,
  });
  if (!settings.insecure && nc.info?.auth_required !== true) {
    await nc.close().catch(() => {});
    throw new NatsRefused(
      `the NATS server ${nc.getServer()} lets anyone in without authentication, so any user who reaches it could read, delete and forge the space's mail and names: ` +
        "give it users (docs/cluster.md#a-secure-setup), or accept the risk with --nats-insecure",
    );
  }
  if (settings.insecure) log.warn(`cluster: --nats-insecure: the NATS connection is accepted without authentication or TLS checks; whoever reaches ${settings.servers.join(",")} can read the space and delete from it (records are still signed with the space key)`);
  return nc;
}

/** A space marker the brokers of the space have not rewritten for this long (ms, by the server's clock) may be replaced: they are all gone (a key rotation). */
export const MARKER_STALE_MS = 60_000;

/** The space marker's value, signed with `signer` (its brokers rewrite it every 20 s). */
export function spaceMarker(space: string, signer: Signer): string {
  return signer.seal(bucketName(space), SPACE_MARKER, JSON.stringify({ space }));
}

/**
 * Checks that this broker's space key is the space's: the names bucket's
 * SPACE_MARKER value must be signed with it. The first broker of a space
 * writes it; every broker rewrites it every 20 s. A broker with another
 * key is refused while the marker is fresh, so it cannot take names or
 * consume mail it could not verify anyway; once no broker of the old key has
 * rewritten it for MARKER_STALE_MS (all stopped: a new key is being rolled
 * out), a broker with the new key takes the space over.
 * @throws NatsRefused when a fresh marker is signed with another key; other errors (NATS not ready) are retried by the caller.
 */
export async function proveMembership(nats: Nats, space: string, signer: Signer): Promise<void> {
  const bucket = bucketName(space);
  const mine = spaceMarker(space, signer);
  for (let attempt = 0; attempt < 3; attempt++) {
    const got = await nats.kv.get(SPACE_MARKER);
    try {
      if (got === null) {
        await nats.kv.create(SPACE_MARKER, mine);
        return;
      }
      if (got.operation === "PUT" && signer.open(bucket, SPACE_MARKER, got.string()) !== null) return;
      if (got.operation !== "PUT" || Date.now() - got.created.getTime() > MARKER_STALE_MS) {
        await nats.kv.update(SPACE_MARKER, mine, got.revision);
        log.warn(`cluster: space ${space} had no live broker with another key for ${MARKER_STALE_MS / 1000} s: this broker's key is the space's key now`);
        return;
      }
    } catch {
      continue; // another broker wrote it first: read it again
    }
    throw new NatsRefused(
      `this broker's space key (--space-key) is not the key of space ${space}: the brokers in it sign with another. ` +
        "Copy the space key file from a broker of the space (the same file on every broker); this broker tries again every 10 s",
    );
  }
  throw new Error("the space marker keeps changing");
}

/**
 * Opens JetStream on `nc` and creates (or binds to) the space's stream and buckets (names, claims).
 * Replicas: 3 on a clustered server (its INFO names a cluster), 1 on a server
 * on its own. A cluster that has just started may not yet have three
 * JetStream peers ready: the R3 stream is refused then, and this throws so
 * the caller retries, unless `settle` (after the caller's retries of about
 * 30 s: a cluster of two nodes) lets it fall back to one replica.
 * @throws while JetStream is not ready (no meta leader yet, peers missing): the caller retries.
 */
export async function openSpace(nc: Nats["nc"], space: string, settle = false): Promise<Nats> {
  const jsmod: JetStreamModule = await import("@nats-io/jetstream");
  const { Kvm } = await import("@nats-io/kv");
  const { nanos } = await import("@nats-io/transport-node");
  const jsm = await jsmod.jetstreamManager(nc, { timeout: 5_000 });
  const js = jsm.jetstream();
  const name = streamName(space);
  let replicas: number;
  try {
    replicas = (await jsm.streams.info(name)).config.num_replicas;
  } catch (err) {
    if (!(err instanceof jsmod.JetStreamApiError) || err.status !== 404) throw err;
    const config = {
      name,
      subjects: [allRecipients(space)],
      retention: jsmod.RetentionPolicy.Workqueue,
      storage: jsmod.StorageType.File,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      max_age: nanos(MAX_AGE_MS),
    };
    const clustered = nc.info?.cluster !== undefined;
    replicas = clustered ? 3 : 1;
    try {
      await jsm.streams.add({ ...config, num_replicas: replicas });
    } catch (err) {
      // Not all peers ready yet (retried by the caller), or a cluster of two: one replica once the caller has waited.
      if (!clustered || !settle) throw err;
      replicas = 1;
      await jsm.streams.add({ ...config, num_replicas: 1 });
    }
  }
  const kv = await new Kvm(js).create(bucketName(space), { history: 1, replicas });
  const channels = await new Kvm(js).create(channelsBucketName(space), { history: 1, replicas });
  const claimsKv = await new Kvm(js).create(claimsBucket(space), { history: 1, replicas });
  const { headers } = await import("@nats-io/transport-node");
  return { nc, js, jsm, kv, channels, claimsKv, jsmod, nanos, headers, replicas };
}
