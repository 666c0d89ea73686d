/**
 * Who may do what (issue 23): walks the matrix of operations × parties in
 * src/broker/parties.ts — the same table docs/security.md shows — and
 * exercises every cell for real: a connection of each party (the owner, a
 * shared-secret holder, a session token alone, open mode, nobody, a joined
 * machine over TLS, an unproved TLS peer) sends each op to a running broker.
 * A "no" cell must get exactly the refusal the matrix gives; a "yes" or "if"
 * cell must get past it (the op then answers, or refuses for a reason of its
 * own). Stopping and handing over the broker run on a broker of their own.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Action, MATRIX, type Party, PARTIES, refusal } from "../../src/broker/parties.ts";
import { BrokerClient } from "../../src/client/broker-client.ts";
import { readKey } from "../../src/home/key.ts";
import { clientProof, hmacProof, newNonce, PROOF_SUBJECTS } from "../../src/protocol/auth.ts";
import { IpcError } from "../../src/protocol/errors.ts";
import { parseLink } from "../../src/remote/link.ts";
import { machineChallenge, newMachineKey, signChallenge } from "../../src/remote/machine-key.ts";
import { testBroker } from "../helpers/broker.ts";

const SECRET = "the shared secret of the parties test";

type Broker = Awaited<ReturnType<typeof testBroker>>;

/** A free TCP port on 127.0.0.2. */
function freePortOn2(): number {
  const l = Bun.listen({ hostname: "127.0.0.2", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

/** A broker with the secret and a TLS listener, and the machine key it knows (joined as `m`). */
interface Setup {
  b: Broker;
  tlsPort: number;
  fingerprint: string;
  machineKey: string;
  /** A session token registered by the owner (for the `session` party). */
  token: string;
}

async function start(env: Record<string, string> = {}): Promise<Setup> {
  const tlsPort = freePortOn2();
  const b = await testBroker({ IPC_SHARED_SECRET: SECRET, IPC_LISTEN: `127.0.0.2:${tlsPort}`, IPC_UI: "off", ...env });
  const owner = await asOwner(b);
  const inv = await owner.request("invite", { machine: "m" });
  const { token } = await owner.request("register", { name: "sess" });
  owner.close();
  const key = newMachineKey();
  const net = await BrokerClient.connect({ kind: "tls", host: "127.0.0.2", port: tlsPort, fingerprint: inv.fingerprint });
  await net.request("hello", {});
  await net.request("join", { code: parseLink(inv.link).code, machine: "m", public_key: key.publicKey });
  net.close();
  return { b, tlsPort, fingerprint: inv.fingerprint, machineKey: key.privateKey, token };
}

async function tcp(b: Broker): Promise<BrokerClient> {
  return BrokerClient.connect({ kind: "tcp", host: "127.0.0.1", port: b.port });
}

/** hello with a nonce, then prove `key` (the broker key or the secret). */
async function proving(b: Broker, key: string): Promise<BrokerClient> {
  const c = await tcp(b);
  const cn = newNonce();
  const h = await c.request("hello", { nonce: cn });
  await c.request("prove", { proof: clientProof(key, h.nonce, cn) });
  return c;
}

async function asOwner(b: Broker): Promise<BrokerClient> {
  return proving(b, readKey({ home: b.config.home }).key!);
}

/** A connection of `party`. Those that may act as a session have one (`p-<party>`). */
async function connect(s: Setup, party: Party, open: Broker, register = true): Promise<BrokerClient> {
  switch (party) {
    case "owner": {
      const c = await asOwner(s.b);
      await c.request("register", { name: "p-owner" });
      return c;
    }
    case "secret": {
      const c = await proving(s.b, SECRET);
      await c.request("register", { name: "p-secret" });
      return c;
    }
    case "session": {
      const c = await tcp(s.b);
      await c.request("auth", { token: s.token });
      return c;
    }
    case "open": {
      const c = await tcp(open);
      await c.request("register", { name: "p-open" });
      return c;
    }
    case "nobody":
      return tcp(s.b);
    case "machine": {
      const c = await BrokerClient.connect({ kind: "tls", host: "127.0.0.2", port: s.tlsPort, fingerprint: s.fingerprint });
      const cn = newNonce();
      const h = await c.request("hello", { nonce: cn });
      await c.request("prove_machine", { machine: "m", signature: signChallenge(s.machineKey, machineChallenge(h.nonce, cn, s.fingerprint)) });
      if (register) await c.request("register", { name: "p-machine" });
      return c;
    }
    case "network":
      return BrokerClient.connect({ kind: "tls", host: "127.0.0.2", port: s.tlsPort, fingerprint: s.fingerprint });
  }
}

/** A well-formed request of each action (harmless where it gets through; shutdown and handover run on their own broker). */
function sample(action: Action, party: Party): { op: string; params: Record<string, unknown> } {
  const p: Record<Exclude<Action, "handover">, Record<string, unknown>> = {
    hello: {},
    prove: { proof: "00" },
    verify: { auth: "00" },
    prove_machine: { machine: "m", signature: "AAAA" },
    join: { code: "x".repeat(43), machine: "other", public_key: "not a key" },
    register: { name: `r-${party}` },
    auth: { token: "not-a-token" },
    shutdown: {},
    send: { to: "sess", content: "matrix" },
    broadcast: { content: "matrix" },
    check: { peek: true },
    ack: { message_ids: [1], delivered: true },
    read: { message_id: 1 },
    unsend: { message_id: 999_999 },
    list: {},
    rename: { new_name: `n-${party}` },
    history: {},
    search: { query: "matrix" },
    status: {},
    whoami: {},
    subscribe: {},
    unsubscribe: {},
    claim: { project: "/tmp/ipc-parties", paths: [`src/${party}.ts`] },
    release: { project: "/tmp/ipc-parties" },
    claims: {},
    channel: { action: "list" },
    thread: { message_id: 1 },
    leave: {},
    invite: {},
    machines: {},
    revoke: { machine: "nosuch" },
    give: { name: "sess", machine: "nosuch" },
    listen: { add: [{ host: "127.0.0.3", port: 0 }] },
    ui: {},
  };
  return action === "handover" ? { op: "shutdown", params: { successor: 2 ** 31 - 1 } } : { op: action, params: p[action] };
}

/** The broker's answer to one request: ok, or the error's code and message. */
async function outcome(c: BrokerClient, op: string, params: Record<string, unknown>): Promise<{ ok: true } | { code: string; message: string }> {
  try {
    await c.request(op as "hello", params as never, 5_000);
    return { ok: true };
  } catch (err) {
    if (!(err instanceof IpcError)) throw err;
    return { code: err.code, message: err.message };
  }
}

/** Expects `got` to be the matrix's answer for `cell`: its refusal, or anything but. */
function expectCell(action: Action, party: Party, got: { ok: true } | { code: string; message: string }): void {
  const cell = MATRIX[action].parties[party];
  const refused = refusal(action, party);
  if (cell === "no") {
    expect({ action, party, got }).toEqual({ action, party, got: { code: refused!.code, message: refused!.message } });
  } else {
    expect(refused).toBeNull();
    const gate = "code" in got ? PARTIES.map((q) => refusal(action, q)).find((r) => r !== null && r.message === got.message) : undefined;
    expect({ action, party, refusedByTheMatrix: gate?.message ?? null }).toEqual({ action, party, refusedByTheMatrix: null });
  }
}

/** Actions that end the broker or the party: walked last, or on a broker of their own. */
const ENDING: ReadonlySet<Action> = new Set(["leave", "shutdown", "handover"]);

describe("the matrix of operations × parties, cell by cell", () => {
  let s: Setup;
  let open: Broker;

  beforeAll(async () => {
    s = await start();
    open = await testBroker({ IPC_OPEN: "1", IPC_UI: "off" });
  }, 30_000);

  afterAll(async () => {
    await s?.b.stop();
    await open?.stop();
  });

  test("docs/security.md shows this very matrix", () => {
    const text = readFileSync(join(import.meta.dir, "../../docs/security.md"), "utf8");
    const section = text.slice(text.indexOf("## Who may do what"));
    const rows = section.split("\n").filter((l) => l.startsWith("| `"));
    const header = section.split("\n").find((l) => l.startsWith("| operation |"))!;
    const parties = header.split("|").slice(2, -1).map((c) => c.trim());
    expect(parties).toEqual([...PARTIES]);
    const shown = new Map<string, string[]>();
    for (const row of rows) {
      const cells = row.split("|").slice(1, -1).map((c) => c.trim());
      // The operations are the backticked words before any parenthesis.
      for (const [, op] of cells[0]!.split("(")[0]!.matchAll(/`([a-z_]+)`/g)) shown.set(op!, cells.slice(1));
    }
    const asText = (c: (typeof MATRIX)[Action]["parties"][Party]) => (c === "yes" ? "✔" : c === "no" ? "–" : `✔ if ${c.if}`);
    expect(Object.fromEntries(shown)).toEqual(Object.fromEntries(Object.entries(MATRIX).map(([a, row]) => [a, PARTIES.map((p) => asText(row.parties[p]))])));
  });

  test("every op of the protocol has a row, and every row a cell for every party", async () => {
    const { OPS } = await import("../../src/broker/ops/index.ts");
    expect(Object.keys(MATRIX).sort()).toEqual([...Object.keys(OPS), "handover"].sort());
    for (const row of Object.values(MATRIX)) expect(Object.keys(row.parties).sort()).toEqual([...PARTIES].sort());
  });

  for (const party of PARTIES) {
    test(`${party}: every op but those that end something`, async () => {
      const c = await connect(s, party, open);
      try {
        for (const action of Object.keys(MATRIX) as Action[]) {
          if (ENDING.has(action)) continue;
          const { op, params } = sample(action, party);
          expectCell(action, party, await outcome(c, op, params));
        }
        // Refused owner-only ops changed nothing: no listener on 127.0.0.3 unless the owner asked.
      } finally {
        c.close();
      }
    }, 30_000);
  }

  test("own names: a machine's default name (fallback) skips a name of the broker's machine; asked for plainly, it is refused", async () => {
    const owner = await asOwner(s.b);
    await owner.request("register", { name: "local-agent" });
    owner.close();
    const c = await connect(s, "machine", open, false);
    const plain = await outcome(c, "register", { name: "local-agent" });
    expect(plain).toMatchObject({ code: "FORBIDDEN" });
    expect((plain as { message: string }).message).toContain("ipc machines give local-agent m");
    const fallback = await c.request("register", { name: "local-agent", fallback: true, seat: { host: "test", pid: process.pid } });
    expect(fallback.name).toBe("local-agent-2");
    c.close();
  });

  test("owner-only ops work for the owner", async () => {
    const c = await asOwner(s.b);
    const m = await c.request("machines", {});
    expect(m.machines.map((x) => x.name)).toEqual(["m"]);
    const status = await c.request("status", {});
    expect(status.tls?.listeners.map((l) => l.host).sort()).toEqual(["127.0.0.2", "127.0.0.3"]);
    c.close();
  });

  test("shutdown and handover: refused cells leave the broker running; allowed ones stop a broker of their own", async () => {
    for (const action of ["shutdown", "handover"] as const) {
      for (const party of PARTIES) {
        const cell = MATRIX[action].parties[party];
        const own = cell === "no" ? s : await start();
        const ownOpen = cell === "no" ? open : await testBroker({ IPC_OPEN: "1", IPC_UI: "off" });
        const c = await connect(own, party, ownOpen);
        let { op, params } = sample(action, party);
        if (party === "nobody" && cell !== "no") {
          // The "if" of this cell: a per-request proof of the secret over this connection's nonce.
          const h = await c.request("hello", {});
          params = { auth: hmacProof(SECRET, h.nonce, PROOF_SUBJECTS.shutdown) };
        }
        const got = await outcome(c, op, params);
        c.close();
        expectCell(action, party, got);
        if (cell === "no") continue;
        expect({ action, party, got }).toEqual({ action, party, got: { ok: true } });
        await (party === "open" ? ownOpen : own.b).stopped;
        await own.b.stop();
        await ownOpen.stop();
      }
    }
    // The shared broker was never stopped by a refused cell.
    const owner = await asOwner(s.b);
    expect((await owner.request("status", {})).pid).toBe(process.pid);
    owner.close();
  }, 60_000);
  test("leave: refused to all but the machine, which leaves", async () => {
    for (const party of PARTIES) {
      const c = await connect(s, party, open);
      expectCell("leave", party, await outcome(c, "leave", {}));
      c.close();
    }
    const owner = await asOwner(s.b);
    expect((await owner.request("machines", {})).machines[0]?.revoked_at).not.toBeNull();
    owner.close();
  }, 30_000);
});
