/**
 * Connecting to NATS and making sure the space's stream and KV bucket exist.
 * The three official clients (@nats-io/transport-node, /jetstream, /kv) are
 * imported here, lazily: only `ipc serve --nats` loads this file.
 */
import type { ClusterSettings } from "../config.ts";
import { allRecipients, bucketName, channelsBucketName, claimsBucket, streamName } from "./subjects.ts";

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
  /** Replicas of the stream and bucket (3 on a cluster of three or more, else 1). */
  replicas: number;
}

/** How long cross-broker mail and duplicate ids are kept in the stream. */
const MAX_AGE_MS = 7 * 24 * 3_600_000;
const DUPLICATE_WINDOW_MS = 120_000;

/**
 * Connects (retrying the first connection for as long as it takes: the broker
 * serves its local agents meanwhile) and reconnects forever after.
 */
export async function connectNats(settings: ClusterSettings, name: string): Promise<import("@nats-io/transport-node").NatsConnection> {
  const transport: Transport = await import("@nats-io/transport-node");
  const authenticator =
    settings.creds === null ? undefined : transport.credsAuthenticator(new Uint8Array(await Bun.file(settings.creds).arrayBuffer()));
  return transport.connect({
    servers: settings.servers,
    name,
    authenticator,
    waitOnFirstConnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 100,
    pingInterval: 5_000,
    maxPingOut: 2,
  });
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
  return { nc, js, jsm, kv, channels, claimsKv, jsmod, nanos, replicas };
}
