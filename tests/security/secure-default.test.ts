/**
 * Issue 10, hole 2: secure by default. The broker makes a private per-home
 * key on first start; clients of its user prove it by themselves; a
 * connection that has not authenticated gets `hello` and nothing else; open
 * mode (IPC_OPEN=1, `ipc serve --open`) is an explicit, loudly reported opt-out.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { hmacProof } from "../../src/protocol/auth.ts";
import { testBroker } from "../helpers/broker.ts";
import { ipc, ipcEnv, ipcJson, startBrokerProcess } from "../helpers/processes.ts";
import { RawClient } from "../helpers/raw.ts";

/** Every op but hello, as a stranger would send it. */
const STRANGER_OPS = [
  { op: "list" },
  { op: "status" },
  { op: "send", to: "fred", content: "hi" },
  { op: "broadcast", content: "hi" },
  { op: "check" },
  { op: "check", wait: 1 },
  { op: "read", message_id: 1 },
  { op: "history" },
  { op: "search", query: "secret" },
  { op: "whoami" },
  { op: "subscribe" },
  { op: "rename", new_name: "x" },
  { op: "unsubscribe" },
];

describe("secure by default", () => {
  test("the broker makes a private key in IPC_HOME on first start and keeps it", async () => {
    const first = await testBroker();
    const path = join(first.config.home, "broker.key");
    const key = readFileSync(path, "utf8");
    expect(key).toMatch(/^[0-9a-f]{64}\n$/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await first.stop();
    await using again = await testBroker({}, { home: first.config.home });
    expect(readFileSync(path, "utf8")).toBe(key);
    expect(again.broker.key).toBe(key.trim());
  });

  test("a connection that has not authenticated gets hello and nothing else", async () => {
    await using b = await testBroker();
    await using owner = await RawClient.connect(b.port);
    expect((await owner.call({ id: 0, op: "register", name: "fred" })).ok).toBe(true);
    await owner.call({ id: 1, op: "send", to: "fred", content: "private" });

    await using stranger = await RawClient.connect(b.port, undefined, { authenticate: false });
    const hello = await stranger.call({ id: "h", op: "hello" });
    expect(hello).toMatchObject({ ok: true, broker: "ipc", secure: true, open: false });
    expect(hello.proof).toBeUndefined(); // no client nonce, no proof
    for (const [i, frame] of STRANGER_OPS.entries()) {
      const r = await stranger.call({ id: i, ...frame });
      expect({ op: frame.op, code: r.error?.code }).toEqual({ op: frame.op, code: "UNAUTHENTICATED" });
      expect(r.error.message).toContain("IPC_SHARED_SECRET");
    }
    for (const frame of [{ op: "register", name: "fred" }, { op: "register", name: "mallory" }, { op: "shutdown" }]) {
      expect((await stranger.call({ id: 99, ...frame })).error.code).toBe("FORBIDDEN");
    }
    // A made-up proof does not authenticate, and a nonce is good for one proof only.
    const { nonce } = await stranger.call({ id: 100, op: "hello", nonce: "ab".repeat(16) });
    expect((await stranger.call({ id: 101, op: "prove", proof: hmacProof("guess", nonce, "x") })).error.code).toBe("FORBIDDEN");
    expect((await stranger.call({ id: 102, op: "list" })).error.code).toBe("UNAUTHENTICATED");
    // Nothing changed: fred is the only name and his message is unread.
    expect((await owner.call({ id: 2, op: "list" })).instances.map((i: any) => [i.name, i.unread])).toEqual([["fred", 1]]);
    expect((await owner.call({ id: 3, op: "status" })).ok).toBe(true);
  });

  test("a session token authenticates its connection; registering more names still takes the key", async () => {
    await using b = await testBroker();
    await using owner = await RawClient.connect(b.port);
    const { token } = await owner.call({ id: 0, op: "register", name: "fred" });
    await using other = await RawClient.connect(b.port, undefined, { authenticate: false });
    expect((await other.call({ id: 1, op: "auth", token })).ok).toBe(true);
    expect((await other.call({ id: 2, op: "whoami" })).name).toBe("fred");
    expect((await other.call({ id: 3, op: "register", name: "barney" })).error.code).toBe("FORBIDDEN");
  });

  test("the CLI of the broker's user authenticates by itself; ipc status and doctor report the mode and the key", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    expect((await ipc(e, ["register", "fred"])).code).toBe(0);
    expect((await ipcJson(e, ["send", "fred", "hi", "--as", "fred"])).status).toBe("queued");
    const status = await ipcJson(e, ["status"]);
    expect(status).toMatchObject({ secure: true, open: false, key: join(e.home, "broker.key"), shared_secret: false });
    expect((await ipc(e, ["status"])).stdout).toContain(`security  authentication required: clients of this user prove the key ${join(e.home, "broker.key")}`);
    const doctor = await ipc(e, ["doctor"]);
    expect(doctor.stdout).toContain("✔ authentication required: clients prove this IPC_HOME's key");
    expect(doctor.stdout).toContain(`✔ broker key ${join(e.home, "broker.key")} (0600)`);
    expect((await ipc(e, ["stop"])).code).toBe(0);
  }, 30_000);

  test("IPC_SHARED_SECRET keeps working: a client with only the secret (another IPC_HOME) proves it", async () => {
    const e = ipcEnv({ IPC_SHARED_SECRET: "team secret" });
    await using _b = await startBrokerProcess(e);
    const away = { ...ipcEnv({ IPC_SHARED_SECRET: "team secret", IPC_PORT: String(e.port) }), port: e.port };
    expect((await ipc(away, ["register", "remote"])).code).toBe(0);
    expect((await ipcJson(away, ["send", "remote", "over the secret", "--as", "remote"])).status).toBe("queued");
    // Without the secret and without this broker's key: refused.
    const stranger = { ...ipcEnv({ IPC_PORT: String(e.port), IPC_SOCKET: "off" }), port: e.port };
    const r = await ipc(stranger, ["list"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("is not this IPC_HOME's broker");
  }, 30_000);
});

describe("open mode is an explicit, reported opt-out", () => {
  test("IPC_OPEN=1: unauthenticated connections may do everything; status and doctor warn", async () => {
    const e = ipcEnv({ IPC_OPEN: "1", IPC_LOG_LEVEL: "info" });
    const broker = await startBrokerProcess(e);
    await using stranger = await RawClient.connect(e.port, undefined, { authenticate: false });
    expect((await stranger.call({ id: 0, op: "hello" })).open).toBe(true);
    expect((await stranger.call({ id: 1, op: "register", name: "anyone" })).ok).toBe(true);
    expect((await stranger.call({ id: 2, op: "list" })).instances).toHaveLength(1);
    const status = await ipc(e, ["status"]);
    expect(status.stdout).toContain("⚠ OPEN MODE (IPC_OPEN=1)");
    const doctor = await ipc(e, ["doctor"]);
    expect(doctor.stdout).toContain("⚠ the broker runs in OPEN MODE");
    await broker.stop();
    expect(await broker.stderr()).toContain("OPEN MODE (IPC_OPEN=1 / --open): any local user can connect");
  }, 30_000);

  test("ipc serve --open does the same", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e, ["--open"]);
    expect((await ipcJson(e, ["status"])).open).toBe(true);
    await using stranger = await RawClient.connect(e.port, undefined, { authenticate: false });
    expect((await stranger.call({ id: 1, op: "status" })).ok).toBe(true);
  }, 30_000);
});
