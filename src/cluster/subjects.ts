/**
 * Names on the NATS side of one space (docs/cluster.md#1-what-lives-where).
 * Names and spaces are already limited to [a-z0-9_-], which subjects, stream,
 * bucket and consumer names all accept.
 */

/** The stream holding cross-broker mail of `space`. */
export const streamName = (space: string): string => `IPC_${space}`;

/** Every recipient subject of `space` (the stream's subject filter). */
export const allRecipients = (space: string): string => `ipc.${space}.to.>`;

/** The subject of mail for `name`. */
export const recipientSubject = (space: string, name: string): string => `ipc.${space}.to.${name}`;

/** The durable consumer that delivers `name`'s mail to its home broker. */
export const consumerName = (name: string): string => `to_${name}`;

/** The KV bucket of names and presence. */
export const bucketName = (space: string): string => `ipc_${space}_names`;

/** The KV bucket of channel membership (src/cluster/channels.ts). */
export const channelsBucketName = (space: string): string => `ipc_${space}_channels`;

/** The KV bucket of `space`'s file claims (src/cluster/claims.ts). */
export const claimsBucket = (space: string): string => `ipc_${space}_claims`;

/**
 * The key in the names bucket that says which space key the space uses: a value signed with it (no name
 * can be this key: names have no '='). A broker whose key does not verify it is refused (cluster.ts).
 */
export const SPACE_MARKER = "=space";

/** The header of a stream message that carries its signature (space-key.ts: HMAC-SHA256 of "msg", subject and body, hex). */
export const SIG_HEADER = "Ipc-Sig";
