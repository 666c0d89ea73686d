/**
 * Issue 22, hole 3: `ui` is for the broker's owner alone — a local connection
 * that proved the key. Done as the attacker did it: a machine joined over TLS
 * on 127.0.0.2 runs `ipc ui`; a client that holds the shared secret runs it; a
 * legacy client registered with the secret sends `ui` with its session token;
 * in open mode, a connection that proved nothing asks. None gets a login; the
 * owner still does.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { legacyProof } from "../../src/protocol/auth.ts";
import { freePort } from "../helpers/ports.ts";
import { type BrokerProcess, type IpcEnv, ipc, ipcEnv, ipcJson, startBrokerProcess } from "../helpers/processes.ts";
import { RawClient } from "../helpers/raw.ts";

const SECRET = "correct horse battery staple 22";

/** A free TCP port on 127.0.0.2. */
function freePortOn2(): number {
  const l = Bun.listen({ hostname: "127.0.0.2", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

let server: IpcEnv;
let broker: BrokerProcess;

beforeAll(async () => {
  server = ipcEnv({ IPC_UI_PORT: String(freePort()), IPC_SHARED_SECRET: SECRET });
  broker = await startBrokerProcess(server, ["--listen", `127.0.0.2:${freePortOn2()}`]);
});

afterAll(async () => {
  await broker?.stop();
});

/** The owner's own environment: no secret (its clients prove the key). */
function owner(): IpcEnv {
  const { IPC_SHARED_SECRET: _s, ...env } = server.env;
  return { ...server, env };
}

describe("only the owner gets a dashboard login", () => {
  test("a joined machine (TLS over 127.0.0.2) is refused", async () => {
    const link = (await ipcJson<{ link: string }>(owner(), ["invite", "--name", "laptop"])).link;
    const laptop = ipcEnv({ IPC_PORT: String(freePort()) });
    const joined = await ipc(laptop, ["join", link]);
    expect(joined.code).toBe(0);
    const r = await ipc(laptop, ["ui", "--json"]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).not.toContain("login=");
    expect(r.stderr).toContain("owner");
    expect(r.stderr).toContain("joined machine");
  }, 30_000);

  test("a client that proved the shared secret is refused", async () => {
    const r = await ipc(server, ["ui", "--json"]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).not.toContain("login=");
    expect(r.stderr).toContain("shared secret");
  });

  test("a legacy client registered with the shared secret cannot use its token for `ui`", async () => {
    await using c = await RawClient.connect(server.port, "127.0.0.1", { authenticate: false });
    c.write(JSON.stringify({ action: "register", instance_id: "gemini", auth_token: legacyProof("gemini", SECRET) }));
    const reg = JSON.parse(await c.readToClose()) as { session_token: string };
    expect(reg.session_token).toEqual(expect.any(String));
    await using v2 = await RawClient.connect(server.port, "127.0.0.1", { authenticate: false });
    const r = await v2.call({ id: 1, op: "ui", token: reg.session_token });
    expect(r.ok).toBe(false);
    expect(r.error.code).toBe("FORBIDDEN");
    expect(JSON.stringify(r)).not.toContain("login=");
  });

  test("in open mode, a connection that proved nothing is refused", async () => {
    const open = ipcEnv({ IPC_UI_PORT: String(freePort()), IPC_OPEN: "1" });
    await using b = await startBrokerProcess(open);
    await using stranger = await RawClient.connect(open.port, "127.0.0.1", { authenticate: false });
    const r = await stranger.call({ id: 1, op: "ui" });
    expect(r.ok).toBe(false);
    expect(r.error.code).toBe("FORBIDDEN");
    expect(JSON.stringify(r)).not.toContain("login=");
    void b;
  });

  test("the owner (a local client that proves the key) gets one", async () => {
    const r = await ipcJson<{ url: string }>(owner(), ["ui"]);
    expect(r.url).toContain("/?login=");
  });
});
