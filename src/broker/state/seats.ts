/**
 * One name per live seat (docs/identity.md). A session holds its name while a
 * connection bound to it is open, or while the host process named in its
 * seat lives. `register` of a name another live seat holds is NAME_TAKEN,
 * unless it takes the name over deliberately (the holder's sessions end) or
 * asks for a fallback (a default name: the first free `name-2`, `name-3`, …).
 * The same host process registering again is the same seat: a restarted agent
 * gets its name and inbox back.
 */
import { IpcError } from "../../protocol/errors.ts";
import type { RequestOf, Seat } from "../../protocol/requests.ts";
import type { Broker } from "../broker.ts";
import type { Connection } from "../edge/connection.ts";
import { isAlive } from "../edge/lock.ts";
import { iso } from "../delivery/present.ts";
import type { Session } from "./sessions.ts";

/** How many suffixes a fallback tries (`name-2` … `name-20`) before giving up. */
export const MAX_FALLBACK = 20;

/** `name` with suffix `-n`, cut so the result stays within 32 characters. */
export function suffixed(name: string, n: number): string {
  const tail = `-${n}`;
  return `${name.slice(0, 32 - tail.length)}${tail}`;
}

/** True when two seats are one host process (a seat without a pid is nobody's twin). */
function sameSeat(a: Seat | null, b: Seat | null): boolean {
  return a !== null && b !== null && a.pid !== undefined && a.pid === b.pid;
}

/** True while `s` holds its name: a bound connection is open, or its host process lives. */
export function isHeld(s: Session): boolean {
  return s.bound > 0 || (s.seat?.pid !== undefined && isAlive(s.seat.pid));
}

/** The sessions of `name` other live seats hold against a registration from `conn` by `seat`. */
export function holdersOf(b: Broker, name: string, conn: Connection, seat: Seat | null, now: number): Session[] {
  return b.sessions.of(name, now).filter((s) => s !== conn.session && !sameSeat(s.seat, seat) && isHeld(s));
}

/** "claude-code, pid 4242, since 2026-…Z" — who holds a name, for NAME_TAKEN. */
export function describeHolder(s: Session): string {
  const who = s.seat === null ? "a client that did not say which host it is" : `${s.seat.host}${s.seat.pid === undefined ? "" : `, pid ${s.seat.pid}`}`;
  return `${who}, since ${iso(s.since)}`;
}

/** NAME_TAKEN; CONFLICT for a client that sent no seat (older ipc clients do not know NAME_TAKEN and would show it as a malformed error). */
function nameTaken(name: string, holder: Session, seat: Seat | null): IpcError {
  return new IpcError(
    seat === null ? "CONFLICT" : "NAME_TAKEN",
    `${name} is held by another live session (${describeHolder(holder)}). Pick another name, or take it over deliberately: ` +
      `\`ipc register ${name} --takeover\`, \`ipc mcp --takeover\`, or the register tool with takeover: true (the other session loses the name).`,
  );
}

/** Ends `s` for a takeover: its connections are unbound (held checks answered empty) and its token stops working. */
function revoke(b: Broker, s: Session): void {
  for (const c of b.connections) if (c.session === s) b.unbind(c);
  b.sessions.revoke(s);
}

/**
 * The name a `register` gets: `req.name` when no other live seat holds it (or
 * it takes it over), else with `fallback` the first free suffixed name.
 * Names `mayHold` rejects (a joined machine's: not its own) are skipped by
 * the fallback; the caller refuses them without one. Opens the transaction
 * when it revokes a holder.
 * @throws IpcError NAME_TAKEN (CONFLICT without a seat) naming the holder and how to take the name over.
 */
export function claimName(b: Broker, conn: Connection, req: RequestOf<"register">, now: number, mayHold: (name: string) => boolean = () => true): string {
  const seat = req.seat ?? null;
  const holders = holdersOf(b, req.name, conn, seat, now);
  const own = mayHold(req.name);
  if (own && holders.length === 0) return req.name;
  if (own && req.takeover === true) {
    b.commit.begin();
    for (const s of holders) revoke(b, s);
    return req.name;
  }
  if (req.fallback !== true) throw nameTaken(req.name, holders[0]!, seat);
  for (let n = 2; n <= MAX_FALLBACK; n++) {
    const name = suffixed(req.name, n);
    if (mayHold(name) && holdersOf(b, name, conn, seat, now).length === 0) return name;
  }
  throw holders[0] === undefined
    ? new IpcError("NAME_TAKEN", `${req.name} and ${req.name}-2 … ${suffixed(req.name, MAX_FALLBACK)} are taken: pick another name`)
    : nameTaken(suffixed(req.name, MAX_FALLBACK), holders[0], seat);
}

/** Records who holds `session` (register, and auth after a broker restart). */
export function seatSession(session: Session, seat: Seat | undefined, now: number): void {
  if (seat === undefined || session.seat !== null) return;
  session.seat = seat;
  session.since = now;
}
