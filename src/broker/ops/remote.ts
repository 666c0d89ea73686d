/**
 * Joined machines (docs/remote.md): `invite` (owner), `join` and
 * `prove_machine` (on a TLS listener), `machines`, `revoke` and `give`
 * (owner), `leave` (the machine itself). Who may ask for which is decided
 * by the dispatcher (src/broker/parties.ts). The broker keeps only SHA-256
 * hashes of pairing codes and the public keys of machines.
 */
import { networkInterfaces } from "node:os";
import { hashToken, newToken } from "../../protocol/auth.ts";
import { IpcError } from "../../protocol/errors.ts";
import { formatLink } from "../../remote/link.ts";
import { isMachinePublicKey, machineChallenge, verifyChallenge } from "../../remote/machine-key.ts";
import type { Broker } from "../broker.ts";
import type { Connection } from "../edge/connection.ts";
import { errorFrame } from "../edge/frames.ts";
import { iso } from "../delivery/present.ts";
import { RateBucket } from "../state/rate-limit.ts";
import { NO_IDENTITY } from "../state/registry.ts";
import type { OpHandler } from "./types.ts";

/** Default lifetime of a pairing code (s). */
export const INVITE_TTL_S = 600;

/** Pairing attempts (`join`) per minute on average, all connections together, and at once: a flood costs bounded work. */
export const JOINS_PER_MINUTE = 30;
export const JOIN_BURST = 10;
const joinBudgets = new WeakMap<Broker, RateBucket>();

/** An address another machine can dial for a listener bound to `host`: the host itself, or for a wildcard this machine's first external address. */
function dialable(host: string): string {
  if (host !== "0.0.0.0" && host !== "::") return host;
  const family = host === "::" ? null : "IPv4";
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal && (family === null || a.family === family)) return a.address;
  }
  return host === "::" ? "::1" : "127.0.0.1";
}

export const invite: OpHandler<"invite"> = (b, conn, req) => {
  const tls = b.tls;
  const listener = tls?.listeners[0];
  if (tls === null || listener === undefined) {
    throw new IpcError("CONFLICT", "this broker has no network listener: restart it with `ipc serve --listen ADDR:PORT` (or IPC_LISTEN), then invite");
  }
  if (req.machine !== undefined && b.machines.get(req.machine)?.revoked_at === null) {
    throw new IpcError("CONFLICT", `a machine named ${req.machine} has joined already: revoke it first (ipc revoke ${req.machine}), or choose another name`);
  }
  const code = newToken();
  const now = b.clock();
  const expiresAt = now + (req.expires_s ?? INVITE_TTL_S) * 1000;
  b.commit.begin();
  b.machines.expireInvites(now);
  b.machines.addInvite(hashToken(code), req.machine ?? null, now, expiresAt);
  const host = req.host ?? dialable(listener.host);
  return {
    link: formatLink({ host, port: listener.port, fingerprint: tls.fingerprint, code }),
    host,
    port: listener.port,
    fingerprint: tls.fingerprint,
    machine: req.machine ?? null,
    expires_at: iso(expiresAt),
  };
};

/** A free machine name: `wanted`, else `wanted-2`, `wanted-3`, … (at most 32 characters). */
function freeName(b: Broker, wanted: string): string {
  for (let i = 1; i < 1000; i++) {
    const suffix = i === 1 ? "" : `-${i}`;
    const name = `${wanted.slice(0, 32 - suffix.length)}${suffix}`;
    const row = b.machines.get(name);
    if (row === null || row.revoked_at !== null) return name;
  }
  throw new IpcError("CONFLICT", `too many machines named ${wanted}: pick another name with ipc invite --name`);
}

export const join: OpHandler<"join"> = (b, conn, req) => {
  if (conn.transport !== "tls" || b.tls === null) throw new IpcError("FORBIDDEN", "join is only served on the broker's TLS listener (ipc join takes the link from ipc invite)");
  let budget = joinBudgets.get(b);
  if (budget === undefined) joinBudgets.set(b, (budget = new RateBucket(JOINS_PER_MINUTE, JOIN_BURST)));
  const wait = budget.take();
  if (wait > 0) throw new IpcError("RATE_LIMITED", `too many pairing attempts on this broker (${JOINS_PER_MINUTE} a minute); retry in ${wait} ms`, undefined, wait);
  if (!isMachinePublicKey(req.public_key)) throw new IpcError("BAD_REQUEST", "public_key must be an ECDSA P-256 public key in SPKI PEM");
  const now = b.clock();
  const hash = hashToken(req.code);
  const inv = b.machines.invite(hash);
  const refused = "this pairing code is unknown, used or expired: run `ipc invite` on the broker's machine for a new one";
  if (inv === null || inv.used_at !== null || inv.expires_at <= now) throw new IpcError("FORBIDDEN", refused);
  b.commit.begin();
  if (!b.machines.useInvite(hash, now)) throw new IpcError("FORBIDDEN", refused);
  const name = freeName(b, inv.machine ?? req.machine);
  b.machines.add(name, req.public_key, now);
  return { machine: name, fingerprint: b.tls.fingerprint };
};

export const prove_machine: OpHandler<"prove_machine"> = (b, conn, req) => {
  const nonce = conn.nonce;
  const clientNonce = conn.clientNonce;
  conn.nonce = null;
  conn.clientNonce = null;
  if (conn.transport !== "tls" || b.tls === null) throw new IpcError("FORBIDDEN", "machines prove themselves only on the broker's TLS listener");
  if (nonce === null || clientNonce === null) throw new IpcError("FORBIDDEN", "send hello with a nonce first, then prove_machine");
  const row = b.machines.get(req.machine);
  const ok = row !== null && verifyChallenge(row.public_key, machineChallenge(nonce, clientNonce, b.tls.fingerprint), req.signature);
  if (!ok) throw new IpcError("FORBIDDEN", `this broker does not know machine ${req.machine} by that key: join again with a new link (ipc leave, then ipc join …)`);
  if (row.revoked_at !== null) throw new IpcError("FORBIDDEN", `machine ${req.machine}'s access was revoked on ${iso(row.revoked_at)}: ask the broker's owner for a new invite (ipc leave, then ipc join …)`);
  conn.authenticated = true;
  conn.proved = "machine";
  conn.machine = row.name;
  b.commit.begin();
  b.machines.seen(row.name, b.clock(), conn.socket.remoteAddress ?? "");
  return { machine: row.name };
};

/** Live connections of each machine. */
function connectionsOf(b: Broker): Map<string, Connection[]> {
  const by = new Map<string, Connection[]>();
  for (const c of b.connections) if (c.machine !== null) by.set(c.machine, [...(by.get(c.machine) ?? []), c]);
  return by;
}

export const machines: OpHandler<"machines"> = (b, conn) => {
  const live = connectionsOf(b);
  return {
    machines: b.machines.all().map((m) => ({
      name: m.name,
      joined_at: iso(m.created_at),
      last_seen: m.last_seen === null ? null : iso(m.last_seen),
      last_address: m.last_address,
      revoked_at: m.revoked_at === null ? null : iso(m.revoked_at),
      connections: live.get(m.name)?.length ?? 0,
    })),
  };
};

/** Ends `name`'s access: marks it revoked, ends its sessions and closes its connections now. */
function cutOff(b: Broker, name: string): number {
  b.commit.begin();
  b.machines.revoke(name, b.clock());
  b.sessions.endMachine(name);
  const conns = connectionsOf(b).get(name) ?? [];
  const message = `machine ${name}'s access was revoked: ask the broker's owner for a new invite (ipc leave, then ipc join …)`;
  for (const c of conns) {
    for (const w of c.waiters) {
      b.waiters.remove(w);
      b.commit.send(c, errorFrame(w.requestId, { code: "FORBIDDEN", message }), w.requestId);
    }
    c.waiters.clear();
    b.unbind(c);
    c.machine = null;
    c.authenticated = false;
    // After the answers above (and a `leave` reply) are written.
    b.commit.afterCommit(() => setImmediate(() => c.end()));
  }
  return conns.length;
}

export const revoke: OpHandler<"revoke"> = (b, conn, req) => {
  const row = b.machines.get(req.machine);
  if (row === null) throw new IpcError("NOT_FOUND", `no machine named ${req.machine} has joined (ipc machines lists them)`);
  if (row.revoked_at !== null) throw new IpcError("CONFLICT", `machine ${req.machine} was already revoked on ${iso(row.revoked_at)}`);
  return { machine: req.machine, connections_closed: cutOff(b, req.machine) };
};

export const give: OpHandler<"give"> = (b, _conn, req) => {
  const row = b.machines.get(req.machine);
  if (row === null) throw new IpcError("NOT_FOUND", `no machine named ${req.machine} has joined (ipc machines lists them)`);
  if (row.revoked_at !== null) throw new IpcError("CONFLICT", `machine ${req.machine} was revoked on ${iso(row.revoked_at)}: invite it again first`);
  const identity = b.registry.identityOf(req.name);
  if (identity === NO_IDENTITY) throw new IpcError("NOT_FOUND", `nobody has registered ${req.name}: machine ${req.machine} can register it itself`);
  b.commit.begin();
  b.machines.setOrigin(identity, req.machine);
  return { name: req.name, machine: req.machine };
};

export const leave: OpHandler<"leave"> = (b, conn) => {
  const name = conn.machine;
  if (name === null) throw new IpcError("FORBIDDEN", "leave is for a joined machine, over its TLS connection");
  const id = name;
  cutOff(b, name);
  return { machine: id };
};

