/**
 * Request frames of wire protocol v2 (docs/design.md#4-operations and docs/design.md#5-protocol-v2): one schema per op,
 * joined in `Request`, a valibot variant on `op`. Unknown keys are dropped,
 * so a claimed `from` never reaches a handler.
 */
import * as v from "valibot";
import { ChannelRequest, Recipient, ThreadRequest } from "./channels.ts";
import { ClaimRequest, ClaimsRequest, ReleaseRequest } from "./claims.ts";
import { Data } from "./message.ts";
import { Name, RESERVED_NAMES } from "./names.ts";

/** Client-chosen request id, echoed in the response: a safe integer or a short string. */
export const RequestId = v.union([
  v.pipe(v.number(), v.safeInteger()),
  v.pipe(v.string(), v.maxLength(128)),
]);
export type RequestId = v.InferOutput<typeof RequestId>;

/** Session token: 256 random bits, base64url (43 characters). */
export const Token = v.pipe(v.string(), v.minLength(1), v.maxLength(256));

/** A message id. */
export const MessageId = v.pipe(v.number(), v.safeInteger(), v.minValue(1));

const Limit = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000));

const base = { id: v.optional(RequestId), token: v.optional(Token) };

/** A nonce: 32–128 hex digits. */
const Nonce = v.pipe(v.string(), v.regex(/^[0-9a-f]{32,128}$/u, "a nonce is 32 to 128 lower-case hex digits"));

export const HelloRequest = v.object({
  ...base,
  op: v.literal("hello"),
  /** The client's challenge: with it, the broker proves its key (and secret) in the result (docs/security.md). */
  nonce: v.optional(Nonce),
});
/** Authenticates the connection: clientProof(key or secret, server nonce, client nonce) over the last `hello`. */
export const ProveRequest = v.object({ ...base, op: v.literal("prove"), proof: v.pipe(v.string(), v.maxLength(256)) });
/**
 * Who holds a name (docs/identity.md): the kind of host (`cli`, `claude-code`,
 * a host's command name…) and its process id. A name stays held while a
 * connection of its session is open or while this process lives; the same
 * host process registering again is the same seat (a restart gets its name back).
 */
export const Seat = v.object({
  host: v.pipe(v.string(), v.regex(/^[\w.@+-]{1,64}$/, "seat.host is 1–64 letters, digits or . @ + - _")),
  /** Not 1 (init outlives everything: a seat there would hold its name for good). */
  pid: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(2))),
});
export type Seat = v.InferOutput<typeof Seat>;

/** A joined machine's name (`ipc invite --name`, `ipc join`): the alphabet and length of agent names. */
export const MachineName = Name;
/** A one-time pairing code from `ipc invite` (base64url). */
const PairingCode = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{16,128}$/u, "a pairing code is 16 to 128 base64url characters"));
/** Over a TLS listener: proves the joined machine's key (src/remote/machine-key.ts) over the last hello's nonces. */
export const ProveMachineRequest = v.object({
  ...base,
  op: v.literal("prove_machine"),
  machine: MachineName,
  /** base64 DER ECDSA P-256 / SHA-256 signature of machineChallenge(server nonce, client nonce, certificate fingerprint). */
  signature: v.pipe(v.string(), v.maxLength(256)),
});
/** Owner only: a one-time pairing code for a machine (`ipc invite`). */
export const InviteRequest = v.object({
  ...base,
  op: v.literal("invite"),
  machine: v.optional(MachineName),
  /** Seconds the code stays valid: 60 s to 7 days (default 600). */
  expires_s: v.optional(v.pipe(v.number(), v.integer(), v.minValue(60), v.maxValue(7 * 86_400))),
  /** The address to put in the link, when the listener's own is a wildcard or not what the other machine dials. */
  host: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(253), v.regex(/^[A-Za-z0-9.:_-]+$/u, "a host is a name or an IP address"))),
});
/** Over a TLS listener, before authenticating: trades a pairing code for this machine's access (`ipc join`). */
export const JoinRequest = v.object({
  ...base,
  op: v.literal("join"),
  code: PairingCode,
  /** The name this machine asks for (its host name); a name given with `ipc invite --name` wins. */
  machine: MachineName,
  /** SPKI PEM of the machine's ECDSA P-256 public key. */
  public_key: v.pipe(v.string(), v.maxLength(1024)),
});
/** Owner only: joined machines (`ipc machines`). */
export const MachinesRequest = v.object({ ...base, op: v.literal("machines") });
/** Owner only: ends a machine's access at once (`ipc revoke`). */
export const RevokeRequest = v.object({ ...base, op: v.literal("revoke"), machine: MachineName });
/**
 * Owner only: hands the agent name `name` (its identity, history included) to joined machine `machine`, which
 * may then register or take it over (`ipc machines give NAME MACHINE`); docs/remote.md.
 */
export const GiveRequest = v.object({ ...base, op: v.literal("give"), name: Name, machine: MachineName });
/** A network address as `--listen` takes it: a host (IPv6 without brackets) and a port (0: any free one). */
export const ListenAddress = v.object({
  host: v.pipe(v.string(), v.minLength(1), v.maxLength(253), v.regex(/^[A-Za-z0-9.:_-]+$/u, "a host is a name or an IP address")),
  port: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65_535)),
});
/**
 * Owner only: the running broker also listens on these addresses with TLS, for joined machines
 * (`ipc serve --detach --listen` when a broker runs). An address it listens on already is left
 * as it is (port 0: any listener on that host); until the broker stops.
 */
export const ListenRequest = v.object({ ...base, op: v.literal("listen"), add: v.pipe(v.array(ListenAddress), v.minLength(1), v.maxLength(16)) });
/** A joined machine gives up its access (`ipc leave`). */
export const LeaveRequest = v.object({ ...base, op: v.literal("leave") });
export const RegisterRequest = v.object({
  ...base,
  op: v.literal("register"),
  name: Name,
  /** On a connection not yet authenticated: hex HMAC-SHA256(key or secret, nonce ‖ name), nonce from `hello`. */
  auth: v.optional(v.pipe(v.string(), v.maxLength(256))),
  /** Who registers; without it the name is held only while this connection stays bound. */
  seat: v.optional(Seat),
  /** Take the name even when another live seat holds it (its sessions end); else that is NAME_TAKEN. */
  takeover: v.optional(v.boolean()),
  /** A default name (`<host>-<project>`): when held by another live seat, register the first free `name-2`, `name-3`, … instead. */
  fallback: v.optional(v.boolean()),
});
export const AuthRequest = v.object({
  ...base,
  op: v.literal("auth"),
  token: Token,
  /** Who resumes the session (after a broker restart the broker knows only the token). */
  seat: v.optional(Seat),
});
export const SendRequest = v.object({
  ...base,
  op: v.literal("send"),
  /** An agent's name, or a channel (`#name`) the sender is a member of. */
  to: Recipient,
  content: v.string(),
  data: v.optional(Data),
  reply_to: v.optional(MessageId),
});
export const BroadcastRequest = v.object({
  ...base,
  op: v.literal("broadcast"),
  content: v.string(),
  data: v.optional(Data),
});
export const CheckRequest = v.object({
  ...base,
  op: v.literal("check"),
  /** Seconds to hold the request while the inbox is empty (0–3600). */
  wait: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(3600))),
  peek: v.optional(v.boolean()),
  limit: v.optional(Limit),
  from: v.optional(Name),
  /**
   * The caller puts what it gets into a model's context (a wake hook, a host's inbox): the messages
   * are leased to it, not read, until it answers `ack` (docs/wake.md#delivery-states). Implies peek.
   */
  deliver: v.optional(v.boolean()),
});
/**
 * A deliverer's answer for messages leased to it: `delivered: true` once they reached the model
 * (marked read; their senders hear `delivered`), `false` when they could not (they stay unread and
 * go to the next deliverer; their senders hear `notified`).
 */
export const AckRequest = v.object({
  ...base,
  op: v.literal("ack"),
  message_ids: v.pipe(v.array(MessageId), v.minLength(1), v.maxLength(1000)),
  delivered: v.boolean(),
});
export const ReadRequest = v.object({ ...base, op: v.literal("read"), message_id: MessageId });
/** Takes back a message this session sent that nobody has read yet (a typo's future message). */
export const UnsendRequest = v.object({ ...base, op: v.literal("unsend"), message_id: MessageId });
/** Registered instances by name, a page at a time: `cursor` is the `next_cursor` of the page before. */
export const ListRequest = v.object({
  ...base,
  op: v.literal("list"),
  /** Only names after this one (the previous page's `next_cursor`). */
  cursor: v.optional(v.pipe(v.string(), v.maxLength(64))),
  /** Page size (default IPC_LIST_PAGE, 200). */
  limit: v.optional(Limit),
});
export const RenameRequest = v.object({ ...base, op: v.literal("rename"), new_name: Name });
export const HistoryRequest = v.object({
  ...base,
  op: v.literal("history"),
  /** Only the conversation with this name, or a channel's posts (members only). */
  with: v.optional(Recipient),
  limit: v.optional(Limit),
  /** Only messages with an id below this one (paging backwards). */
  before: v.optional(MessageId),
});
export const SearchRequest = v.object({
  ...base,
  op: v.literal("search"),
  query: v.pipe(v.string(), v.minLength(1), v.maxLength(256), v.regex(/^[^\u0000]*$/u, "a search query cannot contain NUL")),
  limit: v.optional(Limit),
});
export const StatusRequest = v.object({ ...base, op: v.literal("status") });
/** Checks a proof of the shared secret without doing anything else (`ipc doctor`): HMAC over nonce ‖ "verify". */
export const VerifyRequest = v.object({ ...base, op: v.literal("verify"), auth: v.pipe(v.string(), v.maxLength(256)) });
/** Who this session is and how many unread messages it has (cheap: for "you have mail" notices). */
export const WhoamiRequest = v.object({ ...base, op: v.literal("whoami") });
export const SubscribeRequest = v.object({
  ...base,
  op: v.literal("subscribe"),
  /** When true, pushed messages are marked read (`ipc watch`); otherwise they stay unread (MCP). */
  consume: v.optional(v.boolean()),
  /**
   * The subscriber puts pushed messages into a model's context (ipc mcp writing to Claude Code's
   * inbox socket): each pushed message is leased to it until it answers `ack`; pushes then carry
   * `lease: true`. Ignored with `consume`.
   */
  deliver: v.optional(v.boolean()),
});
export const UnsubscribeRequest = v.object({ ...base, op: v.literal("unsubscribe") });
/** A one-time login link for the browser dashboard (starts it on first use; IPC_UI=off refuses). */
export const UiRequest = v.object({ ...base, op: v.literal("ui") });
export const ShutdownRequest = v.object({
  ...base,
  op: v.literal("shutdown"),
  /** With a shared secret and no session: hex HMAC-SHA256(secret, nonce ‖ "op:shutdown"). */
  auth: v.optional(v.pipe(v.string(), v.maxLength(256))),
  /**
   * Owner only: the pid of the broker started to replace this one (`ipc serve --detach --restart`):
   * the IPC_HOME lock is handed to it as the last step, so no other broker can start in between.
   */
  successor: v.optional(v.pipe(v.number(), v.integer(), v.minValue(2), v.maxValue(2 ** 31 - 1))),
});

/** Any v2 request frame (the union; `REQUEST_SCHEMAS` picks one schema by `op` without trying the others). */
export const Request = v.variant("op", [
  HelloRequest,
  ProveRequest,
  ProveMachineRequest,
  InviteRequest,
  JoinRequest,
  MachinesRequest,
  RevokeRequest,
  GiveRequest,
  LeaveRequest,
  ListenRequest,
  RegisterRequest,
  AuthRequest,
  SendRequest,
  BroadcastRequest,
  CheckRequest,
  AckRequest,
  ReadRequest,
  UnsendRequest,
  ListRequest,
  RenameRequest,
  HistoryRequest,
  SearchRequest,
  StatusRequest,
  WhoamiRequest,
  VerifyRequest,
  SubscribeRequest,
  UnsubscribeRequest,
  UiRequest,
  ShutdownRequest,
  ClaimRequest,
  ReleaseRequest,
  ClaimsRequest,
  ChannelRequest,
  ThreadRequest,
]);
export type Request = v.InferOutput<typeof Request>;
export type Op = Request["op"];
/** The request of one op. */
export type RequestOf<O extends Op> = Extract<Request, { op: O }>;
/** What a caller passes for one op (no id/token: the client adds those). */
export type Params<O extends Op> = Omit<Extract<v.InferInput<typeof Request>, { op: O }>, "id" | "token" | "op">;

/** The schema of each op, for validating a frame whose `op` is known. */
export const REQUEST_SCHEMAS: ReadonlyMap<string, (typeof Request)["options"][number]> = new Map(
  Request.options.map((schema) => [schema.entries.op.literal, schema]),
);

const RECIPIENT_PATTERN = /^#?[A-Za-z0-9_-]{1,32}$/;

/**
 * The most frequent frame, a `send` without `data` or `reply_to`, checked by hand (issue 25: the schema
 * check was about a tenth of the broker's CPU per send). Returns what `v.parse(SendRequest, obj)` returns
 * for it, or null for any other or any doubtful frame, which then goes through its schema (errors included).
 */
export function quickSend(obj: Record<string, unknown>): v.InferOutput<typeof SendRequest> | null {
  const { id, token, to, content } = obj;
  if (obj.op !== "send" || typeof to !== "string" || typeof content !== "string") return null;
  if (obj.data !== undefined || obj.reply_to !== undefined) return null;
  if (id !== undefined && !(typeof id === "number" ? Number.isSafeInteger(id) : typeof id === "string" && id.length <= 128)) return null;
  if (token !== undefined && !(typeof token === "string" && token.length >= 1 && token.length <= 256)) return null;
  if (!RECIPIENT_PATTERN.test(to)) return null;
  const recipient = to.toLowerCase();
  if (RESERVED_NAMES.has(recipient.charCodeAt(0) === 35 ? recipient.slice(1) : recipient)) return null;
  const out: v.InferOutput<typeof SendRequest> = { op: "send", to: recipient, content };
  if (id !== undefined) out.id = id as number | string;
  if (token !== undefined) out.token = token as string;
  return out;
}

/** Request fields that hold instance names: their failures are INVALID_NAME, not BAD_REQUEST. */
export const NAME_FIELDS: ReadonlySet<string> = new Set(["name", "to", "from", "new_name", "with"]);
