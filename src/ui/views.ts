/**
 * The dashboard's views of who is there and what they hold, from the
 * broker's in-memory state: agents (host kind, machine, project, state,
 * unread, claims), channels (members, unread copies, latest post), live file
 * claims, and the graph of who wrote to whom in the last hour. All bounded:
 * at most MAX_PAGE agents a page, 1 000 claims, 10 000 memberships, the
 * graph's walk of GRAPH_WALK_LIMIT messages.
 */
import type { Broker } from "../broker/broker.ts";
import { claimInfo, liveClaims } from "../broker/ops/claims.ts";
import { iso } from "../broker/delivery/present.ts";
import { isHeld } from "../broker/state/seats.ts";
import { EVERYONE } from "../protocol/names.ts";
import type { Memory } from "./live.ts";
import type { People } from "./people.ts";
import type { Queries, Row } from "./queries.ts";
import type { Page, UiAgent, UiChannel, UiClaim, UiGraph, UiState } from "./schemas.ts";

/** A request within this long makes an online agent `active` (ms). */
export const ACTIVE_MS = 60_000;
/** A wake within this long makes an agent `woken` (ms). */
export const WOKEN_MS = 120_000;
/** The graph's window (ms). */
export const GRAPH_WINDOW_MS = 3_600_000;
/** Nodes the graph shows at most: those with the most messages (a picture of more is unreadable, and costly to lay out). */
export const MAX_NODES = 60;
/** Members a channel lists at most (its cap, ops/channels.ts MAX_MEMBERS), and copies a reach counts at most (a broadcast's recipients too). */
export const MAX_MEMBERS = 200;

/** Seat host kinds (src/client/seat.ts: the host's command name, or IPC_SEAT) as people call them. */
const KINDS: [RegExp, string][] = [
  [/^claude/, "Claude Code"],
  [/^codex/, "Codex"],
  [/^gemini/, "Gemini CLI"],
  [/^opencode/, "OpenCode"],
  [/^cursor/, "Cursor"],
  [/^copilot/, "Copilot CLI"],
  [/^(cli|ipc|bun|node|bash|sh|zsh|fish|dash|tmux|sudo|python3?)$/, "CLI"],
];

/** What kind of host a seat's `host` is ("Claude Code", …; its own text when unknown). */
export function kindOf(host: string): string {
  const h = host.toLowerCase();
  for (const [re, kind] of KINDS) if (re.test(h)) return kind;
  return host;
}

/** The `<project>` of a default name `<host>-<project>` (src/client/seat.ts defaultName), without a `-N` suffix; else null. */
function projectOfName(name: string, host: string | null): string | null {
  if (host === null) return null;
  const prefix = `${host.toLowerCase().replace(/[^a-z0-9_-]+/g, "-")}-`;
  if (!name.startsWith(prefix) || name.length === prefix.length) return null;
  return name.slice(prefix.length).replace(/-\d+$/, "") || null;
}

/** A project's short name: the last part of its path or `git:HOST/PATH` (without `.git`). */
export function projectName(project: string): string {
  return project.replace(/\.git$/, "").split(/[/\\:]/).filter(Boolean).pop() ?? project;
}

/** Agents: by project (none last), online first, then by name (numbers in order); `offset`/`limit` page them. */
export function agents(b: Broker, people: People, memory: Memory, offset: number, limit: number): Page<UiAgent> {
  const now = b.clock();
  const held = new Map<string, { projects: Set<string>; paths: string[] }>();
  for (const c of liveClaims(b, undefined, now)) {
    let h = held.get(c.holder);
    if (h === undefined) held.set(c.holder, (h = { projects: new Set(), paths: [] }));
    h.projects.add(projectName(c.project));
    h.paths.push(c.path);
  }
  const all: UiAgent[] = [];
  const persons = people.all();
  for (const i of b.registry.instances.values()) {
    const sessions = b.sessions.of(i.name, now);
    const seat = sessions.find((s) => s.seat !== null)?.seat ?? null;
    const remote = sessions.find((s) => s.machine !== null)?.machine ?? null;
    const person = persons.get(i.name) === i.identity && sessions.length === 0;
    const online = b.registry.isConnected(i.name) || sessions.some(isHeld);
    const wokenAt = memory.wokenAt.get(i.name);
    const m = b.waiters.match(i.name, i.name);
    const listening = (b.waiters.subscribersOf(i.name)?.size ?? 0) > 0 || m.taker !== null || m.deliverer !== null || m.peekers.length > 0;
    const claims = held.get(i.name);
    const state: UiAgent["state"] = !online
      ? "offline"
      : wokenAt !== undefined && now - wokenAt < WOKEN_MS
        ? "woken"
        : now - i.lastSeen < ACTIVE_MS
          ? "active"
          : "idle";
    all.push({
      name: i.name,
      kind: person ? "person" : seat === null ? "" : kindOf(seat.host),
      machine: remote ?? "this machine",
      project: claims !== undefined ? [...claims.projects][0]! : projectOfName(i.name, seat?.host ?? null),
      online,
      state,
      listening,
      ...(wokenAt !== undefined && { woken_at: iso(wokenAt) }),
      unread: b.registry.unreadOf(i.name),
      claims: claims?.paths.slice(0, 20) ?? [],
      last_seen: iso(i.lastSeen),
    });
  }
  const byName = new Intl.Collator("en", { numeric: true });
  all.sort((x, y) => {
    if (x.project !== y.project) return x.project === null ? 1 : y.project === null ? -1 : byName.compare(x.project, y.project);
    if (x.online !== y.online) return x.online ? -1 : 1;
    return byName.compare(x.name, y.name);
  });
  return { items: all.slice(offset, offset + limit), total: all.length };
}

/** Every channel (bounded by the store: 10 000 memberships) with its members, unread copies and latest post. */
export function channels(b: Broker, queries: Queries, show: (r: Row) => UiChannel["last"]): UiChannel[] {
  const all = b.cluster === null ? b.channels.all() : b.cluster.channels.all(b.channels.all());
  const out: UiChannel[] = [];
  for (const [name, members] of all) {
    let unread = 0;
    for (const m of members) if (b.registry.unreadOf(m) > 0) unread += queries.unreadCopies(m, name);
    const last = queries.latestPost(name);
    out.push({ name, members: members.slice(0, MAX_MEMBERS), unread, ...(last !== null && { last: show(last) }) });
  }
  out.sort((x, y) => (y.last?.id ?? 0) - (x.last?.id ?? 0) || (x.name < y.name ? -1 : 1));
  return out;
}

/** Live file claims of every project (at most 1 000), soonest to end first. */
export function claims(b: Broker): UiClaim[] {
  return liveClaims(b, undefined, b.clock())
    .sort((x, y) => x.expires_at - y.expires_at)
    .map((c) => ({ ...claimInfo(c), project_name: projectName(c.project) }));
}

/** Who wrote to whom in the last hour: every name and channel that did (the heaviest MAX_EDGES edges), weighted. */
export function graph(b: Broker, queries: Queries): UiGraph {
  const now = b.clock();
  const since = now - GRAPH_WINDOW_MS;
  const found = queries.edges(since);
  const walked = found.walked;
  const traffic = new Map<string, number>();
  for (const e of found.edges) {
    traffic.set(e.from, (traffic.get(e.from) ?? 0) + e.count);
    traffic.set(e.to, (traffic.get(e.to) ?? 0) + e.count);
  }
  const shown = new Set([...traffic].sort((x, y) => y[1] - x[1]).slice(0, MAX_NODES).map(([id]) => id));
  const edges = found.edges.filter((e) => shown.has(e.from) && shown.has(e.to));
  const nodes = new Map<string, UiGraph["nodes"][number]>();
  const node = (id: string) => {
    if (!nodes.has(id)) nodes.set(id, { id, kind: id === EVERYONE ? "everyone" : id.startsWith("#") ? "channel" : "agent", online: b.registry.isConnected(id) });
  };
  for (const e of edges) {
    node(e.from);
    node(e.to);
  }
  return { nodes: [...nodes.values()], edges, walked, since: iso(since), left_out: traffic.size - shown.size };
}

/**
 * The state of a message stored as one copy per reader (a channel post's
 * record, a broadcast): read once every copy is, delivered once some are,
 * else queued; with who has not read theirs.
 */
function reachOf(copies: { recipient: string; read_at: number | null }[]): UiState {
  const unread = copies.filter((c) => c.read_at === null);
  const delivered = copies.length > 0 && unread.length === 0;
  return {
    state: delivered ? "read" : copies.length > unread.length ? "delivered" : "queued",
    reach: { read: copies.length - unread.length, total: copies.length, unread_by: unread.slice(0, 20).map((c) => c.recipient) },
  };
}

/**
 * The state of a stored message: read (read_at), delivered (remembered
 * `via`, or leased to a deliverer now), else queued. A channel post's record
 * and a broadcast carry their copies' reach instead.
 */
export function stateOf(b: Broker, queries: Queries, memory: Memory, r: Row): UiState {
  if (r.channel !== null && r.recipient === r.channel) return reachOf(queries.copies(r, MAX_MEMBERS));
  if (r.kind === "broadcast") return reachOf(queries.broadcastCopies(r, MAX_MEMBERS));
  const via = memory.via.get(r.id) ?? (b.leases.has(r.id) ? "woken" : undefined);
  if (r.read_at !== null) return { state: "read", ...(via && { via }) };
  return via !== undefined ? { state: "delivered", via } : { state: "queued" };
}
