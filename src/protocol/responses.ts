/**
 * Results of wire protocol v2 (docs/design.md#4-operations and docs/design.md#5-protocol-v2): the members a successful
 * response carries besides `id` and `ok`, per op. Shared by broker (which
 * builds them), client (which types them) and MCP server (which shows them).
 */
import * as v from "valibot";
import { ChannelResult } from "./channels.ts";
import { ClaimsResult, ReleaseResult } from "./claims.ts";
import { Message } from "./message.ts";

/**
 * What a sender learns (docs/wake.md#delivery-states), the same words in the CLI, the MCP result,
 * --json and the dashboard:
 * - `delivered`: it reached the recipient's model (or person): a wake, a host inbox write, a hook's
 *   context, a tool result, a terminal — marked read when it got there;
 * - `notified`: a live process of the recipient has it (an MCP subscription, a peeking wait), and the
 *   model sees it at its next turn; still unread;
 * - `queued`: nobody of the recipient is listening now; it waits unread for their next check;
 * - `future`: nobody is registered under that name yet; it waits 7 days;
 * - `forwarded`: the name was renamed; it went to the new name.
 */
export const SendStatus = v.picklist(["delivered", "notified", "queued", "future", "forwarded"]);
export type SendStatus = v.InferOutput<typeof SendStatus>;
/** What each status means, in the words the CLI and the MCP tools print after "Sent #N to NAME". */
export const SEND_STATUS_TEXT: Readonly<Record<SendStatus, string>> = {
  delivered: "delivered: it reached their model (or their screen) and is marked read",
  notified: "notified: a live session of theirs has it; their model sees it at its next turn",
  queued: "queued: nobody of theirs is listening now; they get it at their next check",
  future: "queued for a name nobody has registered yet",
  forwarded: "forwarded after a rename",
};
/** The statuses a message handed to one local recipient can have. */
export type DeliveryStatus = Exclude<SendStatus, "forwarded">;

export const HelloResult = v.object({
  broker: v.literal("ipc"),
  version: v.string(),
  protocol: v.number(),
  /** True when a connection must authenticate (key or shared secret) before anything but hello. */
  secure: v.boolean(),
  /** True in open mode (IPC_OPEN=1): unauthenticated connections may do everything. */
  open: v.optional(v.boolean()),
  /** Fresh per connection, single use: the challenge for HMAC proofs (hex). */
  nonce: v.string(),
  /** With a client nonce: brokerProof(per-home key, …) (hex). */
  proof: v.optional(v.string()),
  /** With a client nonce and a shared secret: brokerProof(secret, …) (hex). */
  secret_proof: v.optional(v.string()),
  /** How this connection reached the broker. */
  transport: v.optional(v.picklist(["tcp", "unix", "tls"])),
});
/** What the connection proved: the per-home key or the shared secret. */
export const ProveResult = v.object({ with: v.picklist(["key", "secret"]) });
/** The joined machine a TLS connection proved. */
export const ProveMachineResult = v.object({ machine: v.string() });
/** A pairing link for `ipc join` (one line), and what it carries. Times are ISO-8601 UTC. */
export const InviteResult = v.object({ link: v.string(), host: v.string(), port: v.number(), fingerprint: v.string(), machine: v.nullable(v.string()), expires_at: v.string() });
/** The machine name the broker gave the joining machine, and the certificate it pinned. */
export const JoinResult = v.object({ machine: v.string(), fingerprint: v.string() });
export const MachineInfo = v.object({
  name: v.string(),
  joined_at: v.string(),
  last_seen: v.nullable(v.string()),
  last_address: v.nullable(v.string()),
  revoked_at: v.nullable(v.string()),
  /** Live connections from it now. */
  connections: v.number(),
});
export const MachinesResult = v.object({ machines: v.array(MachineInfo) });
export const RevokeResult = v.object({ machine: v.string(), connections_closed: v.number() });
/** The name handed over and the machine that may now register it. */
export const GiveResult = v.object({ name: v.string(), machine: v.string() });
export const LeaveResult = v.object({ machine: v.string() });
const ListenerAddress = v.object({ host: v.string(), port: v.number() });
/** The broker's TLS listeners after a `listen` (all of them, and those this request added) and the certificate fingerprint joined machines pin. */
export const ListenResult = v.object({ fingerprint: v.string(), listeners: v.array(ListenerAddress), added: v.array(ListenerAddress) });
export const RegisterResult = v.object({ token: v.string(), name: v.string(), queued: v.number() });
export const AuthResult = v.object({ name: v.string(), queued: v.number() });
export const SendResult = v.object({ message_id: v.number(), to: v.string(), status: SendStatus });
/** How many of the acknowledged messages this ack marked read (`delivered: true`) or handed on (`false`). */
export const AckResult = v.object({ acked: v.number() });
export const BroadcastResult = v.object({ count: v.number(), message_ids: v.array(v.number()) });
export const MessagesResult = v.object({ messages: v.array(Message) });
export const ReadResult = v.object({ message: Message });
export const Instance = v.object({
  name: v.string(),
  last_seen: v.string(),
  online: v.boolean(),
  unread: v.number(),
});
export type Instance = v.InferOutput<typeof Instance>;
export const ListResult = v.object({
  /** One page, by name. */
  instances: v.array(Instance),
  /** Present when more follow: pass it as `cursor` for the next page. */
  next_cursor: v.optional(v.string()),
  /** How many follow this page (with `next_cursor`). */
  more: v.optional(v.number()),
  /** Instances registered in all (absent from brokers before paging). */
  total: v.optional(v.number()),
});
export const RenameResult = v.object({ old: v.string(), new: v.string() });
export const UnsendResult = v.object({ message_id: v.number(), to: v.string() });
/** A broker's view of its cluster: connected, space, its node id, the server it uses, the stream, outbox (not yet published), names known cluster-wide, consumers running here. */
function ClusterStatus() {
  return v.object({
    connected: v.boolean(),
    space: v.string(),
    node: v.string(),
    servers: v.array(v.string()),
    /** The NATS server this broker is connected to now (host:port), if any. */
    server: v.optional(v.string()),
    stream: v.string(),
    replicas: v.number(),
    outbox: v.number(),
    names: v.number(),
    consumers: v.number(),
    pending: v.optional(v.number()),
    /** Joined with --nats-insecure (no authentication or TLS required of the NATS connection). */
    insecure: v.optional(v.boolean()),
    /** Why this broker stays out of the space (an unsafe NATS server, another space key); it serves its local agents. */
    refused: v.optional(v.string()),
  });
}
export const StatusResult = v.object({
  version: v.string(),
  protocol: v.number(),
  pid: v.number(),
  uptime_s: v.number(),
  host: v.string(),
  port: v.number(),
  socket: v.nullable(v.string()),
  secure: v.boolean(),
  /** Open mode (IPC_OPEN=1): no authentication required. */
  open: v.optional(v.boolean()),
  /** True when IPC_SHARED_SECRET is set on the broker. */
  shared_secret: v.optional(v.boolean()),
  /** The per-home key file clients of this user prove. */
  key: v.optional(v.string()),
  /** The TLS network listeners for joined machines (`--listen`) and the certificate fingerprint they pin. */
  tls: v.optional(v.object({ fingerprint: v.string(), listeners: v.array(ListenerAddress) })),
  /** The limits the broker runs with (config.ts LIMIT_SETTINGS keys): `ipc serve --detach` compares them with the ones it was given. */
  limits: v.optional(v.record(v.string(), v.number())),
  /** The NATS JetStream cluster this broker is part of (`--nats`, docs/cluster.md). */
  cluster: v.optional(ClusterStatus()),
  database: v.string(),
  home: v.string(),
  counts: v.object({
    instances: v.number(),
    messages: v.number(),
    unread: v.number(),
    connections: v.number(),
  }),
});
export type StatusResult = v.InferOutput<typeof StatusResult>;
export const WhoamiResult = v.object({ name: v.string(), unread: v.number() });
export const EmptyResult = v.object({});
/** The dashboard's address and a one-time login link (the code is in the URL fragment, valid `expires_in_s`). */
export const UiResult = v.object({ url: v.string(), port: v.number(), expires_in_s: v.number() });

/** The result schema of each op. */
export const RESULTS = {
  hello: HelloResult,
  prove: ProveResult,
  prove_machine: ProveMachineResult,
  invite: InviteResult,
  join: JoinResult,
  machines: MachinesResult,
  revoke: RevokeResult,
  give: GiveResult,
  leave: LeaveResult,
  listen: ListenResult,
  register: RegisterResult,
  auth: AuthResult,
  send: SendResult,
  broadcast: BroadcastResult,
  check: MessagesResult,
  ack: AckResult,
  read: ReadResult,
  unsend: UnsendResult,
  list: ListResult,
  rename: RenameResult,
  history: MessagesResult,
  search: MessagesResult,
  status: StatusResult,
  whoami: WhoamiResult,
  verify: EmptyResult,
  subscribe: EmptyResult,
  unsubscribe: EmptyResult,
  ui: UiResult,
  shutdown: EmptyResult,
  claim: ClaimsResult,
  release: ReleaseResult,
  claims: ClaimsResult,
  channel: ChannelResult,
  thread: MessagesResult,
} as const;
export type ResultOf<O extends keyof typeof RESULTS> = v.InferOutput<(typeof RESULTS)[O]>;
