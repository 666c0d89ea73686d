/**
 * Request frames of wire protocol v2 (DESIGN.md §4–5): one schema per op,
 * joined in `Request`, a valibot variant on `op`. Unknown keys are dropped,
 * so a claimed `from` never reaches a handler.
 */
import * as v from "valibot";
import { Data } from "./message.ts";
import { Name } from "./names.ts";

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

export const HelloRequest = v.object({ ...base, op: v.literal("hello") });
export const RegisterRequest = v.object({
  ...base,
  op: v.literal("register"),
  name: Name,
  /** With a shared secret: hex HMAC-SHA256(secret, nonce ‖ name), nonce from `hello`. */
  auth: v.optional(v.pipe(v.string(), v.maxLength(256))),
});
export const AuthRequest = v.object({ ...base, op: v.literal("auth"), token: Token });
export const SendRequest = v.object({
  ...base,
  op: v.literal("send"),
  to: Name,
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
});
export const ReadRequest = v.object({ ...base, op: v.literal("read"), message_id: MessageId });
export const ListRequest = v.object({ ...base, op: v.literal("list") });
export const RenameRequest = v.object({ ...base, op: v.literal("rename"), new_name: Name });
export const HistoryRequest = v.object({
  ...base,
  op: v.literal("history"),
  with: v.optional(Name),
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
});
export const UnsubscribeRequest = v.object({ ...base, op: v.literal("unsubscribe") });
/** A one-time login link for the browser dashboard (starts it on first use; IPC_UI=off refuses). */
export const UiRequest = v.object({ ...base, op: v.literal("ui") });
export const ShutdownRequest = v.object({
  ...base,
  op: v.literal("shutdown"),
  /** With a shared secret and no session: hex HMAC-SHA256(secret, nonce ‖ "op:shutdown"). */
  auth: v.optional(v.pipe(v.string(), v.maxLength(256))),
});

/** Any v2 request frame (the union; `REQUEST_SCHEMAS` picks one schema by `op` without trying the others). */
export const Request = v.variant("op", [
  HelloRequest,
  RegisterRequest,
  AuthRequest,
  SendRequest,
  BroadcastRequest,
  CheckRequest,
  ReadRequest,
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

/** Request fields that hold instance names: their failures are INVALID_NAME, not BAD_REQUEST. */
export const NAME_FIELDS: ReadonlySet<string> = new Set(["name", "to", "from", "new_name", "with"]);
