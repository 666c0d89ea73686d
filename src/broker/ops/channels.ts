/**
 * Channels and threads (docs/coordination.md). `channel` joins, leaves, lists
 * and shows members; a post (`send` to `#name`, members only) is stored once
 * as the channel's record (recipient `#name`, read at once: the channel's
 * history, the sender's history and search) and delivered to every other
 * member as their own copy (push, wait, unread, search like direct mail).
 * `thread` returns a message's whole thread — its root and every reply below
 * it — as far as the caller may read: messages it sent or received, and the
 * records of channels it is in.
 */
import { IpcError } from "../../protocol/errors.ts";
import type { ChannelInfo } from "../../protocol/channels.ts";
import type { MessageRow } from "../../store/messages.ts";
import type { Broker } from "../broker.ts";
import { deliver } from "../delivery/deliver.ts";
import { emit, watching } from "../delivery/events.ts";
import { toMessage } from "../delivery/present.ts";
import { fittingNow } from "../delivery/reply-budget.ts";
import { chargeRecipients } from "./messaging.ts";
import type { OpHandler } from "./types.ts";

/** Most channels one name may be in. */
export const MAX_CHANNELS_PER_NAME = 100;
/** Most members one channel may have (a post costs a rate token per member). */
export const MAX_MEMBERS = 200;
/** Most messages one thread reply shows; most reply_to links followed up to the root. */
export const MAX_THREAD = 500;
const MAX_DEPTH = 100;

// Membership: this broker's rows, and on a cluster (docs/cluster.md) the members homed on other brokers too.

/** The members of `ch`, sorted (cluster-wide on a cluster). */
function membersOf(b: Broker, ch: string): string[] {
  const local = b.channels.members(ch);
  return b.cluster === null ? local : b.cluster.channels.members(ch, local);
}

/** True when `name` is in `ch` (cluster-wide on a cluster). */
export function isMember(b: Broker, ch: string, name: string): boolean {
  return b.cluster === null ? b.channels.isMember(ch, name) : membersOf(b, ch).includes(name);
}

function info(b: Broker, channel: string, me: string, members = membersOf(b, channel)): ChannelInfo {
  return { name: channel, members, joined: members.includes(me) };
}

export const channel: OpHandler<"channel"> = (b, conn, req) => {
  const s = b.requireSession(conn, req.token);
  const cluster = b.cluster?.channels ?? null;
  if (req.action === "list") {
    const all = cluster === null ? b.channels.all() : cluster.all(b.channels.all());
    return { channels: [...all].map(([name, members]) => info(b, name, s.name, members)) };
  }
  const ch = req.channel;
  if (ch === undefined) throw new IpcError("BAD_REQUEST", `${req.action} needs a channel, e.g. "#backend"`);
  if (req.action === "join") {
    if (!isMember(b, ch, s.name)) {
      const mine = b.channels.channelsOf(s.name);
      if ((cluster === null ? mine : cluster.channelsOf(s.name, mine)).length >= MAX_CHANNELS_PER_NAME) {
        throw new IpcError("TOO_LARGE", `${s.name} is in ${MAX_CHANNELS_PER_NAME} channels, the limit: leave one first (ipc channel leave '#name')`);
      }
      if (membersOf(b, ch).length >= MAX_MEMBERS) throw new IpcError("TOO_LARGE", `${ch} has ${MAX_MEMBERS} members, the limit: start another channel`);
      b.commit.begin();
      const now = b.clock();
      b.channels.join(ch, s.name, now);
      cluster?.joined(ch, s.name, now);
      if (watching(b)) emit(b, { type: "joined", name: s.name, channel: ch, at: now });
    }
  } else if (req.action === "leave") {
    if (isMember(b, ch, s.name)) {
      b.commit.begin();
      b.channels.leave(ch, s.name);
      cluster?.left(ch, s.name);
      if (watching(b)) emit(b, { type: "left", name: s.name, channel: ch, at: b.clock() });
    }
  }
  return { channels: [info(b, ch, s.name)] };
};

/**
 * Posts to `channel` from `sender` (a member): one record, then a copy per other
 * member (full inboxes are skipped); on a cluster, members homed on other
 * brokers get theirs through the cluster (queued: their brokers deliver them).
 * Costs a rate token per member, like broadcast.
 * @throws IpcError FORBIDDEN (not a member), RATE_LIMITED, TOO_LARGE.
 */
export function postToChannel(
  b: Broker,
  sender: string,
  ch: string,
  content: string,
  data: string | null,
  replyTo: number | null,
): { message_id: number; to: string; status: "delivered" | "notified" | "queued" } {
  b.checkContent(content);
  const all = membersOf(b, ch);
  if (!all.includes(sender)) {
    throw new IpcError("FORBIDDEN", `${sender} is not in ${ch}: join it first (ipc channel join '${ch}', MCP tool channels)`);
  }
  const members = all.filter((m) => m !== sender);
  const remote = b.cluster?.channels.remote(members, content, data) ?? null;
  chargeRecipients(b, sender, Math.max(1, members.length), `a post to ${ch}`);
  b.commit.begin();
  const now = b.clock();
  const id = b.messages.insert({ sender, recipient: ch, kind: "channel", content, data, reply_to: replyTo, created_at: now, read_at: now, channel: ch });
  b.registry.messageCount++;
  if (watching(b)) emit(b, { type: "posted", id, name: sender, channel: ch, at: now });
  if (remote !== null) b.cluster!.channels.post(sender, ch, remote, content, data, id, replyTo, now);
  // The best any member got: delivered to one, else a live process of one has it (a lease's outcome is not awaited), else queued.
  let delivered = false;
  let notified = false;
  for (const member of members) {
    if (remote?.has(member) === true) continue;
    try {
      const status = deliver(b, { sender, recipient: member, kind: "channel", content, data, replyTo, channel: ch }).status;
      delivered ||= status === "delivered";
      notified ||= status === "notified";
    } catch (err) {
      if (!(err instanceof IpcError && err.code === "INBOX_FULL")) throw err;
    }
  }
  return { message_id: id, to: ch, status: delivered ? "delivered" : notified ? "notified" : "queued" };
}

/** True for a member's copy of a channel post (not the record). */
function isCopy(row: MessageRow): boolean {
  return row.channel != null && row.recipient !== row.channel;
}

/**
 * The row a thread shows for `row`: a channel copy's record, else the row itself. A copy that came from
 * another broker of a cluster has no record here (the channel's latest record before it is another post):
 * it stands for itself.
 */
export function canonical(b: Broker, row: MessageRow): MessageRow {
  if (!isCopy(row)) return row;
  const id = b.messages.recordOf(row.channel!, row.id);
  const record = id === null ? null : b.messages.get(id);
  return record !== null && record.sender === row.sender && record.content === row.content ? record : row;
}

/** The id a reply points at: a channel copy's record, so every member's replies join one thread. */
export function threadId(b: Broker, id: number): number {
  const row = b.messages.get(id);
  return row === null ? id : canonical(b, row).id;
}

/** True when identity `who` (name `name`) may read `row`: sent or received it, or is in the channel of a record. */
export function mayRead(b: Broker, row: MessageRow, who: number, name: string): boolean {
  if (row.sender_id === who || row.recipient_id === who) return true;
  return row.channel != null && row.recipient === row.channel && isMember(b, row.channel, name);
}

export const thread: OpHandler<"thread"> = (b, conn, req) => {
  const s = b.requireSession(conn, req.token);
  const who = b.registry.identityOf(s.name);
  const start = b.messages.get(req.message_id);
  if (start === null || !mayRead(b, start, who, s.name)) {
    throw new IpcError("NOT_FOUND", `no message ${req.message_id} that ${s.name} may read; \`ipc history\` lists yours`);
  }
  // Up to the root (bounded), then every reply below it, breadth first (bounded).
  let root = canonical(b, start);
  for (let depth = 0; depth < MAX_DEPTH && root.reply_to !== null; depth++) {
    const parent = b.messages.get(root.reply_to);
    if (parent === null) break;
    root = canonical(b, parent);
  }
  const seen = new Set<number>([root.id]);
  const found: MessageRow[] = [root];
  for (let i = 0; i < found.length && found.length < MAX_THREAD; i++) {
    for (const reply of b.messages.replies(found[i]!.id)) {
      // A member's copy is shown through its record; a copy from another broker (no record here) as itself.
      if (seen.has(reply.id) || found.length >= MAX_THREAD || (isCopy(reply) && canonical(b, reply) !== reply)) continue;
      seen.add(reply.id);
      found.push(reply);
    }
  }
  const rows = found.filter((r) => mayRead(b, r, who, s.name)).sort((x, y) => x.id - y.id);
  return { messages: rows.slice(0, fittingNow(b, rows, true)).map((r) => toMessage(r, true)) };
};
