/**
 * claim, release, claims: file claims per project (docs/coordination.md). A
 * claim is exclusive unless shared (shared ones coexist with each other); a
 * claim overlapping another name's is refused with CLAIM_CONFLICT naming the
 * holder, their reason and the expiry. A claim ends at its TTL, on release,
 * or once its holder has had no live session for IPC_CLAIM_GRACE_MINUTES
 * (live: a bound connection or a seat process alive, else last seen within
 * the grace). Claiming again renews.
 *
 * On a cluster (`--nats`, docs/cluster.md) the claims live in the space's
 * claims bucket instead of the `claims` table: claim and release are
 * compare-and-set writes answered once NATS has them, `claims` reads the
 * broker's in-memory view of the bucket, and a holder homed on another
 * broker is live as the names directory says.
 */
import { reasonNote } from "../../claims/format.ts";
import { coversEverything, overlaps } from "../../claims/match.ts";
import { type ClaimInfo, DEFAULT_CLAIM_TTL_S } from "../../protocol/claims.ts";
import { IpcError } from "../../protocol/errors.ts";
import type { RequestOf } from "../../protocol/requests.ts";
import type { ClaimRow } from "../../store/claims.ts";
import type { Broker } from "../broker.ts";
import type { ClusterLink } from "../cluster-link.ts";
import type { Connection } from "../edge/connection.ts";
import { emit, watching } from "../delivery/events.ts";
import { reply } from "../edge/error-reply.ts";
import { okFrame } from "../edge/frames.ts";
import { log } from "../log.ts";
import { iso } from "../delivery/present.ts";
import { isHeld } from "../state/seats.ts";
import type { OpHandler } from "./types.ts";

/** Most claims one name may hold in one project. */
export const MAX_CLAIMS_PER_PROJECT = 200;

/** Whether `name` has a live session at `now`, and else until when its claims last (ms). */
function holderState(b: Broker, name: string, now: number): { online: boolean; endsAt: number } {
  if (b.sessions.of(name, now).some(isHeld)) return { online: true, endsAt: Number.POSITIVE_INFINITY };
  const grace = b.config.retention.claimGraceMinutes * 60_000;
  // On a cluster, a name homed on another broker is live as the names directory says.
  const remote = b.cluster?.presence(name) ?? null;
  if (remote !== null) return remote.online ? { online: true, endsAt: Number.POSITIVE_INFINITY } : { online: false, endsAt: remote.lastLive + grace };
  const seen = b.registry.instances.get(name)?.lastSeen;
  // A holder neither registered here nor in the directory yet (its entry travels apart from its claims): its claim stands.
  if (seen === undefined && b.cluster !== null) return { online: true, endsAt: Number.POSITIVE_INFINITY };
  // After a broker restart no session is bound yet: every holder gets the grace to reconnect.
  const lastSeen = Math.max(seen ?? Number.NEGATIVE_INFINITY, b.startedAtClock);
  return { online: false, endsAt: lastSeen + grace };
}

/** A stored claim (`row`) whose holder is still live (or within the grace) at `now`, with that state and the claim's end. */
type LiveClaim = ClaimRow & { online: boolean; endsAt: number; row: ClaimRow };

/** The live claims of `project` (every project when undefined) at `now`. */
export function liveClaims(b: Broker, project: string | undefined, now: number): LiveClaim[] {
  if (b.cluster !== null) return liveOf(b, b.cluster.claimRows(project, now), now);
  return liveOf(b, project === undefined ? b.claims.all(now) : b.claims.ofProject(project, now), now);
}

/** Those of stored claims `rows` that are unexpired and whose holder is live (or within the grace) at `now`. */
function liveOf(b: Broker, rows: readonly ClaimRow[], now: number): LiveClaim[] {
  const states = new Map<string, { online: boolean; endsAt: number }>();
  const live: LiveClaim[] = [];
  for (const r of rows) {
    if (r.expires_at <= now) continue;
    let st = states.get(r.holder);
    if (st === undefined) states.set(r.holder, (st = holderState(b, r.holder, now)));
    if (st.endsAt > now) live.push({ ...r, ...st, expires_at: Math.min(r.expires_at, st.endsAt), row: r });
  }
  return live;
}

/** The wire form of a live claim (protocol ClaimInfo; the dashboard adds its project's short name). */
export function claimInfo(c: LiveClaim): ClaimInfo {
  return {
    project: c.project,
    path: c.path,
    holder: c.holder,
    shared: c.shared === 1,
    reason: c.reason,
    claimed_at: iso(c.created_at),
    expires_at: iso(c.expires_at),
    holder_online: c.online,
  };
}

/** CLAIM_CONFLICT for `path` against `held`, saying who, why, until when and what to do. */
function conflict(held: LiveClaim, path: string, now: number): IpcError {
  const minutes = Math.max(1, Math.ceil((held.expires_at - now) / 60_000));
  const what = held.path === path ? path : `${path} (overlaps ${held.path})`;
  const why = held.reason === null ? "" : ` (${reasonNote(held.holder, held.reason)})`;
  const gone = held.online ? "" : ` (${held.holder} has no live session; the claim lapses then)`;
  return new IpcError(
    "CLAIM_CONFLICT",
    `${what} is claimed${held.shared === 1 ? " (shared)" : ""} by ${held.holder}${why} until ${iso(held.expires_at)}, in ${minutes} min${gone}. ` +
      `Ask them first (ipc send ${held.holder} "…", MCP send), claim something else, or wait until it ends.`,
  );
}

/**
 * The rows `name`'s claim `req` adds or renews, checked against the `live` claims of its project.
 * @throws IpcError CLAIM_CONFLICT (another name's overlapping claim), TOO_LARGE (over MAX_CLAIMS_PER_PROJECT).
 */
function claimRows(live: readonly LiveClaim[], name: string, req: RequestOf<"claim">, now: number): ClaimRow[] {
  const shared = req.shared === true;
  const paths = [...new Set(req.paths)];
  for (const path of paths) {
    const held = live.find((c) => c.holder !== name && !(shared && c.shared === 1) && overlaps(c.path, path));
    if (held !== undefined) throw conflict(held, path, now);
  }
  const mine = new Set(live.filter((c) => c.holder === name).map((c) => c.path));
  const adding = paths.filter((p) => !mine.has(p)).length;
  if (mine.size + adding > MAX_CLAIMS_PER_PROJECT) {
    throw new IpcError("TOO_LARGE", `${name} would hold ${mine.size + adding} claims in this project; the limit is ${MAX_CLAIMS_PER_PROJECT}: claim a folder or a glob instead, or release some (ipc release)`);
  }
  const expiresAt = now + (req.ttl_s ?? DEFAULT_CLAIM_TTL_S) * 1000;
  return paths.map((path) => ({ project: req.project, path, holder: name, shared: shared ? 1 : 0, reason: req.reason ?? null, created_at: now, expires_at: expiresAt }));
}

/**
 * Refuses claims that cover every path of a project, however spelled (`**`,
 * `{**,x}`, `**\/?*`, `{*,*\/**}` …), one path or the request's paths
 * together: decided by what they match (claims/match.ts coversEverything).
 * @throws IpcError BAD_REQUEST.
 */
function refuseWholeProject(paths: readonly string[]): void {
  const whole = paths.find((p) => coversEverything([p])) ?? (coversEverything(paths) ? paths.join(", ") : undefined);
  if (whole !== undefined) {
    throw new IpcError("BAD_REQUEST", `${whole} covers every path of the project: one agent must not lock everyone out; claim the folders or files you edit (e.g. src/api/**)`);
  }
}

export const claim: OpHandler<"claim"> = (b, conn, req) => {
  refuseWholeProject(req.paths);
  const s = b.requireSession(conn, req.token);
  const now = b.clock();
  const told = <T>(r: T): T => {
    if (watching(b)) emit(b, { type: "claimed", name: s.name, project: req.project, paths: req.paths, reason: req.reason ?? null, at: now });
    return r;
  };
  if (b.cluster !== null) return later(b, conn, req.id, clusterClaim(b, b.cluster, s.name, req, now).then(told));
  const rows = claimRows(liveClaims(b, req.project, now), s.name, req, now);
  b.commit.begin();
  b.claims.expire(now);
  for (const row of rows) b.claims.upsert(row);
  told(null);
  return { claims: liveClaims(b, req.project, now).filter((c) => c.holder === s.name).map(claimInfo) };
};

export const release: OpHandler<"release"> = (b, conn, req) => {
  const s = b.requireSession(conn, req.token);
  const told = <T extends { released: number }>(r: T): T => {
    if (r.released > 0 && watching(b)) emit(b, { type: "released", name: s.name, project: req.project, ...(req.paths && { paths: req.paths }), at: b.clock() });
    return r;
  };
  if (b.cluster !== null) return later(b, conn, req.id, clusterRelease(b.cluster, s.name, req).then(told));
  b.commit.begin();
  return told({ released: b.claims.release(req.project, s.name, req.paths) });
};

/** Open to any authenticated connection (the guards ask before they know a name). */
export const claims: OpHandler<"claims"> = (b, _conn, req) => ({ claims: liveClaims(b, req.project, b.clock()).map(claimInfo) });

/**
 * Answers request `id` on `conn` once `work` settles (a cluster write waits
 * for NATS; the broker serves others meanwhile). An unexpected error is
 * logged and answered INTERNAL here: it belongs to no open transaction, so
 * none is abandoned for it.
 */
function later(b: Broker, conn: Connection, id: RequestOf<"claim">["id"], work: Promise<object>): undefined {
  const key = id ?? null;
  work.then(
    (result) => b.commit.send(conn, okFrame(key, result), key),
    (err: unknown) => {
      if (!(err instanceof IpcError)) log.error(`cluster claims: ${(err as Error)?.stack ?? String(err)}`);
      reply(b, conn, key, err instanceof IpcError ? err : new IpcError("INTERNAL", "internal broker error while changing claims: ipc claims shows what holds now; see broker.log"));
    },
  );
  return undefined;
}

/**
 * A claim on a cluster: a compare-and-set rewrite of the project's claims,
 * checked against them as they are at that revision (a lost race is checked
 * again), dropping the ones that ended. Renewing keeps a claim's `created_at`.
 */
async function clusterClaim(b: Broker, cluster: ClusterLink, name: string, req: RequestOf<"claim">, now: number): Promise<{ claims: ClaimInfo[] }> {
  const written = await cluster.updateClaims(req.project, (stored) => {
    const live = liveOf(b, stored, now);
    const rows = claimRows(live, name, req, now);
    const since = new Map(live.filter((c) => c.holder === name).map((c) => [c.path, c.created_at]));
    const renewed = new Set(rows.map((r) => r.path));
    const kept = live.filter((c) => c.holder !== name || !renewed.has(c.path)).map((c) => c.row);
    return [...kept, ...rows.map((r) => ({ ...r, created_at: since.get(r.path) ?? r.created_at }))];
  });
  return { claims: liveOf(b, written, now).filter((c) => c.holder === name).map(claimInfo) };
}

/** A release on a cluster: a compare-and-set rewrite without `name`'s claims on `req.paths` (all when absent); nothing is written when there are none. */
async function clusterRelease(cluster: ClusterLink, name: string, req: RequestOf<"release">): Promise<{ released: number }> {
  const paths = req.paths === undefined ? null : new Set(req.paths);
  let released = 0;
  await cluster.updateClaims(req.project, (stored) => {
    const left = stored.filter((r) => r.holder !== name || (paths !== null && !paths.has(r.path)));
    released = stored.length - left.length;
    return released === 0 ? null : left;
  });
  return { released };
}
