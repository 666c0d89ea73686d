/**
 * claim, release, claims: file claims per project (docs/coordination.md). A
 * claim is exclusive unless shared (shared ones coexist with each other); a
 * claim overlapping another name's is refused with CLAIM_CONFLICT naming the
 * holder, their reason and the expiry. A claim ends at its TTL, on release,
 * or once its holder has had no live session for IPC_CLAIM_GRACE_MINUTES
 * (live: a bound connection or a seat process alive, else last seen within
 * the grace). Claiming again renews.
 */
import { overlaps } from "../../claims/match.ts";
import { type ClaimInfo, DEFAULT_CLAIM_TTL_S } from "../../protocol/claims.ts";
import { IpcError } from "../../protocol/errors.ts";
import type { ClaimRow } from "../../store/claims.ts";
import type { Broker } from "../broker.ts";
import { iso } from "../present.ts";
import { isHeld } from "../seats.ts";
import type { OpHandler } from "./types.ts";

/** Most claims one name may hold in one project. */
export const MAX_CLAIMS_PER_PROJECT = 200;

/** Whether `name` has a live session at `now`, and else until when its claims last (ms). */
function holderState(b: Broker, name: string, now: number): { online: boolean; endsAt: number } {
  if (b.sessions.of(name, now).some(isHeld)) return { online: true, endsAt: Number.POSITIVE_INFINITY };
  // After a broker restart no session is bound yet: every holder gets the grace to reconnect.
  const lastSeen = Math.max(b.registry.instances.get(name)?.lastSeen ?? Number.NEGATIVE_INFINITY, b.startedAtClock);
  return { online: false, endsAt: lastSeen + b.config.retention.claimGraceMinutes * 60_000 };
}

/** A stored claim whose holder is still live (or within the grace) at `now`, with that state. */
type LiveClaim = ClaimRow & { online: boolean; endsAt: number };

/** The live claims of `project` (every project when undefined) at `now`. */
export function liveClaims(b: Broker, project: string | undefined, now: number): LiveClaim[] {
  const rows = project === undefined ? b.claims.all(now) : b.claims.ofProject(project, now);
  const states = new Map<string, { online: boolean; endsAt: number }>();
  const live: LiveClaim[] = [];
  for (const r of rows) {
    let st = states.get(r.holder);
    if (st === undefined) states.set(r.holder, (st = holderState(b, r.holder, now)));
    if (st.endsAt > now) live.push({ ...r, ...st, expires_at: Math.min(r.expires_at, st.endsAt) });
  }
  return live;
}

/** The wire form of a live claim. */
function info(c: LiveClaim): ClaimInfo {
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
  const why = held.reason === null ? "" : ` for "${held.reason}"`;
  const gone = held.online ? "" : ` (${held.holder} has no live session; the claim lapses then)`;
  return new IpcError(
    "CLAIM_CONFLICT",
    `${what} is claimed${held.shared === 1 ? " (shared)" : ""} by ${held.holder}${why} until ${iso(held.expires_at)}, in ${minutes} min${gone}. ` +
      `Ask them first (ipc send ${held.holder} "…", MCP send), claim something else, or wait until it ends.`,
  );
}

export const claim: OpHandler<"claim"> = (b, conn, req) => {
  const s = b.requireSession(conn, req.token);
  const now = b.clock();
  const shared = req.shared === true;
  const paths = [...new Set(req.paths)];
  const live = liveClaims(b, req.project, now);
  for (const path of paths) {
    const held = live.find((c) => c.holder !== s.name && !(shared && c.shared === 1) && overlaps(c.path, path));
    if (held !== undefined) throw conflict(held, path, now);
  }
  const mine = new Set(live.filter((c) => c.holder === s.name).map((c) => c.path));
  const adding = paths.filter((p) => !mine.has(p)).length;
  if (mine.size + adding > MAX_CLAIMS_PER_PROJECT) {
    throw new IpcError("TOO_LARGE", `${s.name} would hold ${mine.size + adding} claims in this project; the limit is ${MAX_CLAIMS_PER_PROJECT}: claim a folder or a glob instead, or release some (ipc release)`);
  }
  const expiresAt = now + (req.ttl_s ?? DEFAULT_CLAIM_TTL_S) * 1000;
  b.commit.begin();
  b.claims.expire(now);
  for (const path of paths) {
    b.claims.upsert({ project: req.project, path, holder: s.name, shared: shared ? 1 : 0, reason: req.reason ?? null, created_at: now, expires_at: expiresAt });
  }
  return { claims: liveClaims(b, req.project, now).filter((c) => c.holder === s.name).map(info) };
};

export const release: OpHandler<"release"> = (b, conn, req) => {
  const s = b.requireSession(conn, req.token);
  b.commit.begin();
  return { released: b.claims.release(req.project, s.name, req.paths) };
};

/** Open to any authenticated connection (the guards ask before they know a name). */
export const claims: OpHandler<"claims"> = (b, _conn, req) => ({ claims: liveClaims(b, req.project, b.clock()).map(info) });
