/**
 * Who may do what (docs/security.md#who-may-do-what): the parties a
 * connection can be, and the matrix of operations × parties as data. The
 * dispatcher checks every v2 request against it before the op runs
 * (`refusal`); nothing else decides whether a party may ask for an op. Ops
 * still check their own preconditions (a session to act as, a proof, a name
 * a machine may hold: the "if" cells).
 */
import { IpcError } from "../protocol/errors.ts";
import type { Op, Request } from "../protocol/requests.ts";
import type { Broker } from "./broker.ts";
import type { Connection } from "./edge/connection.ts";
import { NO_IDENTITY } from "./state/registry.ts";
import type { Session } from "./state/sessions.ts";

/**
 * The parties, by what a connection proved:
 * - `owner`: a local connection (loopback TCP or the Unix socket) that proved the broker's key in IPC_HOME;
 * - `secret`: a local connection that proved IPC_SHARED_SECRET (other users, legacy set-ups);
 * - `session`: a local connection that proved nothing but holds a session (a token: `auth`, or `token` on the request);
 * - `open`: a local connection that proved nothing, on a broker in open mode (IPC_OPEN=1);
 * - `nobody`: a local connection that proved nothing, outside open mode;
 * - `machine`: a connection on a TLS listener that proved a joined machine's key (`prove_machine`);
 * - `network`: a connection on a TLS listener that proved nothing yet.
 */
export const PARTIES = ["owner", "secret", "session", "open", "nobody", "machine", "network"] as const;
export type Party = (typeof PARTIES)[number];

/**
 * What the matrix checks: an op, or `handover` (`shutdown` with a `successor`,
 * which gives the IPC_HOME to another process: `ipc serve --detach --restart`).
 */
export type Action = Op | "handover";

/**
 * A cell: yes, no, or yes on a condition the op checks itself (`if`: the
 * condition's short name, as docs/security.md#who-may-do-what shows it).
 */
export type Cell = "yes" | "no" | { if: "with proof" | "own names" | "own sessions" | "session or proof" };

const Y = "yes" as const;
const N = "no" as const;
/** A per-request proof of the key or the secret (`auth` on register, shutdown). */
const WITH_PROOF: Cell = { if: "with proof" };
/** Only names it registered, or the owner gave it (`ipc machines give`): machineRefusal. */
const OWN_NAMES: Cell = { if: "own names" };

/** Every local party but the owner and nobody, and the joined machine: the agents' operations. */
const AGENTS: Record<Party, Cell> = { owner: Y, secret: Y, session: Y, open: Y, nobody: N, machine: Y, network: N };
/** Only the owner. */
const OWNER: Record<Party, Cell> = { owner: Y, secret: N, session: N, open: N, nobody: N, machine: N, network: N };
/** Local only, whatever it proved (the local handshake). */
const LOCAL: Record<Party, Cell> = { owner: Y, secret: Y, session: Y, open: Y, nobody: Y, machine: N, network: N };

/** Each action: the cell of every party, and (for owner-only ones) what the refusal calls it. */
export const MATRIX: Record<Action, { parties: Record<Party, Cell>; what?: string }> = {
  hello: { parties: { ...LOCAL, machine: Y, network: Y } },
  prove: { parties: LOCAL },
  verify: { parties: LOCAL },
  prove_machine: { parties: { owner: N, secret: N, session: N, open: N, nobody: N, machine: Y, network: Y } },
  join: { parties: { owner: N, secret: N, session: N, open: N, nobody: N, machine: N, network: Y } },
  register: { parties: { owner: Y, secret: Y, session: WITH_PROOF, open: Y, nobody: WITH_PROOF, machine: OWN_NAMES, network: N } },
  auth: { parties: { ...LOCAL, machine: { if: "own sessions" } } },
  shutdown: { parties: { owner: Y, secret: Y, session: Y, open: { if: "session or proof" }, nobody: WITH_PROOF, machine: N, network: N } },
  send: { parties: AGENTS },
  broadcast: { parties: AGENTS },
  check: { parties: AGENTS },
  ack: { parties: AGENTS },
  read: { parties: AGENTS },
  unsend: { parties: AGENTS },
  list: { parties: AGENTS },
  rename: { parties: AGENTS },
  history: { parties: AGENTS },
  search: { parties: AGENTS },
  status: { parties: AGENTS },
  whoami: { parties: AGENTS },
  subscribe: { parties: AGENTS },
  unsubscribe: { parties: AGENTS },
  claim: { parties: AGENTS },
  release: { parties: AGENTS },
  claims: { parties: AGENTS },
  channel: { parties: AGENTS },
  thread: { parties: AGENTS },
  leave: { parties: { owner: N, secret: N, session: N, open: N, nobody: N, machine: Y, network: N } },
  invite: { parties: OWNER, what: "`ipc invite`" },
  machines: { parties: OWNER, what: "`ipc machines`" },
  revoke: { parties: OWNER, what: "`ipc revoke`" },
  give: { parties: OWNER, what: "`ipc machines give`" },
  listen: { parties: OWNER, what: "adding a network listener (`ipc serve --detach --listen`)" },
  ui: { parties: OWNER, what: "the dashboard (`ipc ui`)" },
  handover: { parties: OWNER, what: "a restart that hands over to another broker (`ipc serve --detach --restart`)" },
};

/** The party `conn` is for a request that resolved to session `own` (its `token`, or null). */
export function partyOf(b: Broker, conn: Connection, own: Session | null): Party {
  if (conn.transport === "tls") return conn.machine !== null && conn.proved === "machine" ? "machine" : "network";
  if (conn.proved === "key") return "owner";
  if (conn.proved === "secret") return "secret";
  if (conn.session !== null || own !== null) return "session";
  return b.open ? "open" : "nobody";
}

/** The matrix row a request falls under. */
export function actionOf(req: Request): Action {
  return req.op === "shutdown" && req.successor !== undefined ? "handover" : req.op;
}

/**
 * Whether joined machine `machine` may register or take over `name`: a name
 * nobody holds, or one whose identity it registered, or the owner gave it
 * (`ipc machines give`). A name registered on the broker's own machine, or
 * by another machine, is not its to take (docs/remote.md).
 * @returns null when it may, else FORBIDDEN saying what the owner can do.
 */
export function machineRefusal(b: Broker, machine: string, name: string): IpcError | null {
  const identity = b.registry.identityOf(name);
  if (identity === NO_IDENTITY) return null;
  const origin = b.machines.originOf(identity);
  if (origin === machine) return null;
  const whose = origin === null ? "an agent of the broker's own machine" : `an agent of machine ${origin}`;
  return new IpcError(
    "FORBIDDEN",
    `${name} is ${whose}: a joined machine registers only names it registered itself. Pick another name, or ask the broker's owner to hand it over: ipc machines give ${name} ${machine}`,
  );
}

/** True when `conn` is the broker's owner: local, and proved the key. */
export function isOwner(conn: Connection): boolean {
  return conn.transport !== "tls" && conn.proved === "key";
}

const NOT_AUTHENTICATED =
  "this connection has not authenticated: ipc clients of the broker's owner prove the key in IPC_HOME by themselves; " +
  "other users need IPC_SHARED_SECRET (set on both sides), or the broker's owner may run it with IPC_OPEN=1 (open to every local user)";

/**
 * The refusal of `action` for `party`, or null when the matrix allows it (an
 * "if" cell: the op checks its condition). Codes: UNAUTHENTICATED for a party
 * that proved nothing, FORBIDDEN for one that proved something else.
 */
export function refusal(action: Action, party: Party): IpcError | null {
  const row = MATRIX[action];
  if (row.parties[party] !== "no") return null;
  if (party === "nobody") return new IpcError("UNAUTHENTICATED", NOT_AUTHENTICATED);
  if (party === "network") {
    return new IpcError("UNAUTHENTICATED", "this network connection has not proved a joined machine: pair this machine with `ipc join <link from ipc invite>`");
  }
  if (row.what !== undefined) return ownerOnly(row.what, party);
  switch (party) {
    case "machine":
      return new IpcError(
        "FORBIDDEN",
        action === "shutdown" ? "a joined machine cannot stop the broker: run ipc stop on the broker's machine" : `a joined machine cannot ${action} (docs/security.md#who-may-do-what)`,
      );
    default:
      return new IpcError(
        "FORBIDDEN",
        action === "join" || action === "prove_machine" || action === "leave"
          ? `${action} is only served on the broker's TLS listener, to another machine (ipc join takes the link from ipc invite)`
          : `${action} is not for this connection (docs/security.md#who-may-do-what)`,
      );
  }
}

/** FORBIDDEN for an owner-only operation `what`, saying why `party` is not the owner and what to do. */
function ownerOnly(what: string, party: Party): IpcError {
  const why =
    party === "machine" || party === "network"
      ? "a joined machine cannot ask for it"
      : party === "secret"
        ? "this connection proved the shared secret, not the broker's key (unset IPC_SHARED_SECRET to use the key)"
        : "this connection did not prove the broker's key";
  return new IpcError("FORBIDDEN", `${what} is for the broker's owner only: ${why}. Run it on the broker's machine, as the user who runs the broker, with the same IPC_HOME`);
}

/**
 * @throws IpcError FORBIDDEN, saying what to do, unless `conn` is the owner (see isOwner).
 * `what` names the operation (e.g. "`ipc ui`"). The dispatcher checks the matrix before any op runs; this is for ops that want to say so again.
 */
export function requireOwner(conn: Connection, what: string): void {
  if (isOwner(conn)) return;
  throw ownerOnly(what, conn.transport === "tls" ? "machine" : conn.proved === "secret" ? "secret" : "session");
}
