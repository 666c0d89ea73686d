/** send and broadcast. The sender is always the session's name, never a field of the request. */
import type { Data } from "../../protocol/message.ts";
import { isChannel } from "../../protocol/channels.ts";
import { IpcError } from "../../protocol/errors.ts";
import type { ResultOf } from "../../protocol/responses.ts";
import type { Broker } from "../broker.ts";
import { deliver } from "../delivery/deliver.ts";
import { errorFrame, okFrame, SendAnswer } from "../edge/frames.ts";
import type { Lease } from "../delivery/leases.ts";
import { removeLargeMessage } from "../delivery/large-messages.ts";
import { mayRead, postToChannel, threadId } from "./channels.ts";
import type { OpHandler } from "./types.ts";

/** JSON text of `data`, or null. */
export function dataText(data: Data | undefined): string | null {
  if (data === undefined) return null;
  try {
    return JSON.stringify(data);
  } catch {
    throw new IpcError("BAD_REQUEST", "data must be a JSON object that can be stored");
  }
}

/**
 * Sends one direct message from `sender`; follows a forwarding left by a rename.
 * `lease`: a deliverer is putting it into the recipient's model now; its end says `delivered` or `notified`.
 * `holdBack`: see deliver (only a request handled by a connection's pump, which drains it).
 */
export function sendDirect(
  b: Broker,
  sender: string,
  to: string,
  content: string,
  data: string | null,
  replyTo: number | null,
  holdBack = false,
): ResultOf<"send"> & { lease?: Lease } {
  b.checkContent(content);
  const target = b.registry.forwardNow(to, b.clock);
  const recipient = target ?? to;
  // A cluster (docs/cluster.md) takes the message when its recipient lives on another broker.
  const remote = b.cluster?.send(sender, recipient, content, data, replyTo, target !== null) ?? null;
  if (remote !== null) return remote;
  const r = deliver(b, { sender, recipient, kind: "direct", content, data, replyTo }, holdBack);
  if (target !== null) return { message_id: r.id, to: recipient, status: "forwarded" };
  // Built without spreads: this is every send's path.
  const out: ResultOf<"send"> & { lease?: Lease } = { message_id: r.id, to: recipient, status: r.status };
  if (r.lease !== null) out.lease = r.lease;
  return out;
}

/**
 * send. A direct message leased to a deliverer (docs/wake.md#delivery-states) is answered when the
 * lease ends, within LEASE_MS: `delivered` once the deliverer acked it, else `notified`.
 */
export const send: OpHandler<"send"> = (b, conn, req) => {
  const s = b.requireSession(conn, req.token);
  const replyTo = req.reply_to === undefined ? null : replyTarget(b, s.name, req.reply_to);
  if (isChannel(req.to)) return postToChannel(b, s.name, req.to, req.content, dataText(req.data), replyTo);
  const sent = sendDirect(b, s.name, req.to, req.content, dataText(req.data), replyTo, true);
  const lease = sent.lease;
  if (lease === undefined) return new SendAnswer(sent.message_id, sent.to, sent.status);
  const result = { message_id: sent.message_id, to: sent.to, status: sent.status };
  const id = req.id ?? null;
  let rolledBack = false;
  lease.settled.push((status) => {
    if (!rolledBack && !conn.closed) b.commit.send(conn, okFrame(id, { ...result, status }), id);
  });
  // Not stored after all (the commit failed): no lease, and the sender hears INTERNAL like every request of that commit.
  b.commit.afterCommit(
    () => {},
    () => {
      rolledBack = true;
      b.leases.end(result.message_id, "notified");
      b.commit.send(conn, errorFrame(id, { code: "INTERNAL", message: "internal broker error; nothing of this request was stored; see broker.log" }), id);
    },
  );
  return undefined;
};

/**
 * The thread id a reply to message `id` points at (threadId). Only a message
 * `name` may read can be answered, as `read` and `thread` allow.
 * @throws IpcError NOT_FOUND for any other id (nothing is sent).
 */
function replyTarget(b: Broker, name: string, id: number): number {
  const row = b.messages.get(id);
  if (row === null || !mayRead(b, row, b.registry.identityOf(name), name)) {
    throw new IpcError("NOT_FOUND", `no message ${id} that ${name} may read, so it cannot be answered; \`ipc history\` lists yours (nothing was sent)`);
  }
  return threadId(b, id);
}

/**
 * Takes one rate token per recipient beyond the one the request already took,
 * together at most a burst (a full bucket can always pay for one send to many).
 * @throws IpcError RATE_LIMITED naming `what` (nothing sent).
 */
export function chargeRecipients(b: Broker, sender: string, recipients: number, what: string): void {
  const bucket = b.sessions.bucketOf(sender);
  // The request's own token is already taken: the rest costs at most burst - 1, so a full bucket pays it.
  const extra = Math.min(recipients - 1, bucket.burst - 1);
  const wait = extra > 0 ? bucket.take(extra) : 0;
  if (wait > 0) {
    // The hint is the time until a retry is payable: its own request token (taken when it arrives) and the rest.
    const payable = bucket.peek(extra + 1);
    throw new IpcError("RATE_LIMITED", `${what} to ${recipients} instances costs as many requests (IPC_RATE_LIMIT per minute); retry in ${payable} ms`, undefined, payable);
  }
}

/**
 * Sends to every registered instance but the sender; full inboxes are skipped.
 * Costs the sender one rate token per recipient beyond the one its request
 * already took, together at most a burst: a broadcast stores a message per
 * recipient, and a full bucket can always pay for one (whatever the count).
 * @throws IpcError RATE_LIMITED (nothing sent), TOO_LARGE.
 */
export function broadcastFrom(b: Broker, sender: string, content: string, data: string | null): { count: number; message_ids: number[] } {
  b.checkContent(content);
  const recipients = [...b.registry.instances.keys()].filter((name) => name !== sender);
  chargeRecipients(b, sender, recipients.length, "a broadcast");
  const ids: number[] = [];
  // One time for every copy: they are one message (the dashboard groups them by sender and time).
  const at = b.clock();
  for (const name of recipients) {
    try {
      ids.push(deliver(b, { sender, recipient: name, kind: "broadcast", content, data, replyTo: null, at }).id);
    } catch (err) {
      if (!(err instanceof IpcError && err.code === "INBOX_FULL")) throw err;
    }
  }
  if (b.cluster !== null) ids.push(...b.cluster.broadcast(sender, content, data, new Set(recipients)));
  return { count: ids.length, message_ids: ids };
}

export const broadcast: OpHandler<"broadcast"> = (b, conn, req) => {
  const s = b.requireSession(conn, req.token);
  return broadcastFrom(b, s.name, req.content, dataText(req.data));
};

/**
 * unsend: takes back a direct message the session sent that nobody has read
 * (a future message to a mistyped name, most often). The row stays, as a read
 * note to the sender (so its id is never reused); the recipient never sees it.
 * @throws IpcError NOT_FOUND (no such message from this session), CONFLICT (already read).
 */
export const unsend: OpHandler<"unsend"> = (b, conn, req) => {
  const s = b.requireSession(conn, req.token);
  const row = b.messages.get(req.message_id);
  if (row === null || row.sender !== s.name || row.kind !== "direct" || row.recipient === s.name) {
    throw new IpcError("NOT_FOUND", `no message ${req.message_id} that ${s.name} sent to someone else; \`ipc history\` lists yours`);
  }
  if (row.read_at !== null) throw new IpcError("CONFLICT", `message ${req.message_id} to ${row.recipient} has already been read: too late to unsend it`);
  b.commit.begin();
  b.search.forget(row);
  b.messages.withdraw(row.id, `(unsent: a message to ${row.recipient})`, b.clock());
  b.registry.addUnread(row.recipient, -1);
  const file = row.large_file;
  if (file !== null) b.commit.afterCommit(() => removeLargeMessage(file));
  return { message_id: row.id, to: row.recipient };
};
