/**
 * The first hour with two machines (issue 27): `ipc status` and `ipc doctor`
 * on both sides say what is there (and not what is missing only because the
 * database and key live on the other machine); and a joined machine tells a
 * broker that is not ready for TLS yet (the listener takes the connection and
 * drops it before the handshake ends, as while it restarts) from a server
 * whose certificate really differs: the first is retried as a reconnect, the
 * second is refused as an impostor.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Socket, TCPSocketListener } from "bun";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inContainer } from "../../src/doctor/checks/remote.ts";
import { ensureTlsIdentity } from "../../src/remote/certificate.ts";
import { freePort } from "../helpers/ports.ts";
import { type BrokerProcess, type IpcEnv, ipc, ipcEnv, ipcJson, startBrokerProcess } from "../helpers/processes.ts";

/** A free TCP port on 127.0.0.2. */
function freePortOn2(): number {
  const l = Bun.listen({ hostname: "127.0.0.2", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

/**
 * A TCP relay on 127.0.0.2 in front of the broker's TLS listener: while `drop`
 * is above zero it takes each connection, reads the client's hello and closes
 * (a listener not yet serving TLS), counting down; then it relays bytes both ways.
 */
function relay(to: number) {
  type Side = { peer: Socket<Side> | null; early: Buffer[]; drop?: boolean };
  /** drop: connections still to drop; downUntil: `performance.now()` until which every connection is dropped (an outage). */
  const state = { drop: 0, dropped: 0, downUntil: 0 };
  const listener: TCPSocketListener<Side> = Bun.listen<Side>({
    hostname: "127.0.0.2",
    port: 0,
    socket: {
      open(client) {
        client.data = { peer: null, early: [] };
        if (performance.now() < state.downUntil) {
          state.dropped++;
          client.end();
          return;
        }
        if (state.drop > 0) {
          state.drop--;
          state.dropped++;
          client.data.drop = true;
          return;
        }
        void Bun.connect<Side>({
          hostname: "127.0.0.2",
          port: to,
          socket: {
            open(up) {
              up.data = { peer: client, early: [] };
              client.data.peer = up;
              for (const b of client.data.early) up.write(b);
            },
            data: (up, d) => void up.data.peer?.write(d),
            close: (up) => void up.data.peer?.end(),
          },
        }).catch(() => client.end());
      },
      data(client, d) {
        if (client.data.drop) client.end();
        else if (client.data.peer) client.data.peer.write(d);
        else client.data.early.push(Buffer.from(d));
      },
      close: (client) => void client.data.peer?.end(),
    },
  });
  return { port: listener.port, state, stop: () => listener.stop(true) };
}

let server: IpcEnv;
let laptop: IpcEnv;
let broker: BrokerProcess;
let front: ReturnType<typeof relay>;
let tlsPort: number;

beforeAll(async () => {
  tlsPort = freePortOn2();
  server = ipcEnv();
  laptop = ipcEnv({ IPC_PORT: String(freePort()) });
  broker = await startBrokerProcess(server, ["--listen", `127.0.0.2:${tlsPort}`]);
  front = relay(tlsPort);
  const { link } = await ipcJson<{ link: string }>(server, ["invite", "--name", "laptop"]);
  const joined = await ipc(laptop, ["join", link.replace(`:${tlsPort}#`, `:${front.port}#`)]);
  expect(joined.stderr).toBe("");
  expect(joined.code).toBe(0);
  for (const [e, name] of [[server, "fred"], [laptop, "barney"]] as const) {
    const reg = await ipc(e, ["register", name], { env: { IPC_NAME: name } });
    expect(reg.stderr).toBe("");
    expect(reg.code).toBe(0);
  }
}, 30_000);

afterAll(async () => {
  front?.stop();
  await broker?.stop();
});

test("ipc status shows the TLS listener on the broker's machine, and which broker a joined machine uses", async () => {
  const here = await ipc(server, ["status"]);
  expect(here.code).toBe(0);
  expect(here.stdout).toMatch(new RegExp(`\\n  network   127\\.0\\.0\\.2:${tlsPort} \\(TLS, certificate SHA256:[\\w-]{43}\\)`));
  expect(here.stdout).not.toContain("joined ");
  const there = await ipc(laptop, ["status"]);
  expect(there.code).toBe(0);
  expect(there.stdout).toContain(`\n  joined    this machine uses that broker at 127.0.0.2:${front.port} (TLS) as machine laptop`);
  const json = JSON.parse((await ipc(server, ["status", "--json"])).stdout);
  expect(json.tls.listeners).toEqual([{ host: "127.0.0.2", port: tlsPort }]);
});

test("ipc doctor on the joined machine does not report the broker's key and database as missing here", async () => {
  const r = await ipc(laptop, ["doctor", "--json"]);
  const findings = JSON.parse(r.stdout).findings as Array<{ check: string; status: string; message: string }>;
  const text = findings.map((f) => f.message).join("\n");
  expect(text).not.toContain("no broker key yet");
  expect(text).not.toContain("no database yet");
  expect(findings.find((f) => f.check === "database")?.message).toBe(`the database is the joined broker's, on 127.0.0.2:${front.port}; this machine keeps none`);
  expect(text).toContain("this machine proves its machine key (remote.json) to the joined broker");
});

test.skipIf(!inContainer())("ipc doctor in a container running its own broker does not call its socket mounted from the host", async () => {
  const r = await ipc(server, ["doctor", "--json"]);
  const findings = JSON.parse(r.stdout).findings as Array<{ check: string; status: string; message: string; fix?: string }>;
  const remote = findings.filter((f) => f.check === "remote");
  expect(remote.map((f) => f.message).join("\n")).not.toContain("mounted from the host");
  expect(remote.some((f) => f.message.startsWith(`the broker runs in this container (pid ${broker.proc.pid})`))).toBe(true);
  expect(remote.every((f) => f.fix === undefined)).toBe(true);
});

test("a TLS handshake cut short (a broker still starting) is retried as a reconnect, not called an impostor", async () => {
  front.state.drop = 2;
  const r = await ipc(laptop, ["send", "fred", "through a restart"], { env: { IPC_NAME: "barney" } });
  expect(r.stderr).not.toContain("as pinned");
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(front.state.dropped).toBe(2);
  const got = await ipc(server, ["check", "--as", "fred"]);
  expect(got.stdout).toContain("through a restart");
});

test("a joined machine keeps reconnecting through a broker restart of a few seconds (an outage of 3 s here)", async () => {
  front.state.dropped = 0;
  front.state.downUntil = performance.now() + 3_000;
  const r = await ipc(laptop, ["send", "fred", "after the outage"], { env: { IPC_NAME: "barney" } });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(front.state.dropped).toBeGreaterThan(1);
  expect((await ipc(server, ["check", "--as", "fred"])).stdout).toContain("after the outage");
}, 30_000);

test("a TLS server whose certificate differs from the pinned one is refused as such, and nothing is sent", async () => {
  const other = await ensureTlsIdentity({ home: mkdtempSync(join(tmpdir(), "ipc-other-cert-")) }, "impostor");
  front.stop();
  const received: string[] = [];
  const impostor = Bun.listen({
    hostname: "127.0.0.2",
    port: front.port,
    tls: { cert: other.cert, key: other.key },
    socket: { data: (_s, d) => void received.push(d.toString()) },
  });
  try {
    const r = await ipc(laptop, ["send", "fred", "to an impostor"], { env: { IPC_NAME: "barney" } });
    expect(r.stderr).toContain(`its certificate is ${other.fingerprint}, not SHA256:`);
    expect(r.stderr).toContain("as pinned when this machine joined");
    expect(r.code).toBe(3);
    expect(received).toEqual([]);
  } finally {
    impostor.stop(true);
  }
});
