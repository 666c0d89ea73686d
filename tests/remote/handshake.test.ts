/**
 * A joined machine tells a broker that is not ready for TLS yet (the listener
 * takes the connection and drops it before the handshake ends, as while it
 * restarts) from a server whose certificate really differs: the first is
 * retried as a reconnect, the second is refused as an impostor.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Socket, TCPSocketListener } from "bun";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
  const state = { drop: 0, dropped: 0 };
  const listener: TCPSocketListener<Side> = Bun.listen<Side>({
    hostname: "127.0.0.2",
    port: 0,
    socket: {
      open(client) {
        client.data = { peer: null, early: [] };
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

beforeAll(async () => {
  const tlsPort = freePortOn2();
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
