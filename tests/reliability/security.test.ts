/** Security: identity only from the session, exposure rules, private files, no tokens in output. */
import { expect, test } from "bun:test";
import { chmodSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { resolveConfig } from "../../src/config.ts";
import { startBroker } from "../../src/broker/edge/server.ts";
import { testBroker } from "../helpers/broker.ts";
import { ipc, ipcEnv, ipcJson, startBrokerProcess, tempHome } from "../helpers/processes.ts";
import { RawClient } from "../helpers/raw.ts";

test("a token of one name cannot act as another: send, check, rename, read", async () => {
  await using b = await testBroker();
  await using mallory = await RawClient.connect(b.port);
  const m = await mallory.call({ id: 1, op: "register", name: "mallory" });
  await using alice = await RawClient.connect(b.port);
  await alice.call({ id: 1, op: "register", name: "alice" });
  await using bob = await RawClient.connect(b.port);
  await bob.call({ id: 1, op: "register", name: "bob" });
  const secret = await bob.call({ id: 2, op: "send", to: "alice", content: "for alice only" });

  // Spoofed identity fields are ignored: the message is from mallory.
  await mallory.call({ id: 2, op: "send", to: "bob", content: "hi", from: "alice", from_id: "alice", token: m.token });
  expect((await bob.call({ id: 3, op: "check" })).messages[0].from).toBe("mallory");
  // Mallory's check reads mallory's inbox, whatever she claims.
  expect((await mallory.call({ id: 3, op: "check", name: "alice", instance_id: "alice" })).messages).toEqual([]);
  // Reading alice's message by id is refused.
  expect((await mallory.call({ id: 4, op: "read", message_id: secret.message_id })).error.code).toBe("NOT_FOUND");
  // Renaming acts on mallory only.
  expect(await mallory.call({ id: 5, op: "rename", new_name: "alice2", old_id: "alice" })).toMatchObject({ old: "mallory", new: "alice2" });
  expect((await alice.call({ id: 2, op: "check" })).messages[0].content).toBe("for alice only");
  // Registering an existing name in secure mode needs the secret; in open mode it is a re-registration by design.
});

test("plain TCP on a non-loopback address is refused, secret or not: the network gets TLS (--listen)", async () => {
  const config = resolveConfig({ home: tempHome(), port: 0, host: "0.0.0.0" }, {});
  await expect(startBroker(config)).rejects.toThrow(/refusing plain TCP on 0\.0\.0\.0/);
  for (const extra of [{}, { IPC_SHARED_SECRET: "s3cret" }] as Record<string, string>[]) {
    const e = ipcEnv({ IPC_HOST: "0.0.0.0", ...extra });
    const r = await ipc(e, ["serve"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--listen 0.0.0.0:");
  }
});

test("the Unix socket is mode 0600, preferred by local clients, and can be the only way in", async () => {
  const e = ipcEnv();
  await using _b = await startBrokerProcess(e);
  const sock = join(e.home, "ipc.sock");
  expect(statSync(sock).mode & 0o777).toBe(0o600);
  await ipc(e, ["register", "local"]);
  const status = await ipcJson(e, ["status"]);
  expect(status.socket).toBe(sock);
  const { connectBroker } = await import("../../src/client/connect.ts");
  const local = await connectBroker(resolveConfig({}, e.env), false);
  expect(local.hello.transport).toBe("unix");
  local.client.close();

  // IPC_TCP=off: the broker listens only on the socket, so no other user can connect at all.
  const only = ipcEnv({ IPC_TCP: "off" });
  expect((await ipc(only, ["register", "solo"])).code).toBe(0);
  expect((await ipcJson(only, ["send", "solo", "via the socket", "--as", "solo"])).status).toBe("queued");
  const s2 = await ipcJson(only, ["status"]);
  expect(s2.port).toBe(0);
  expect(s2.socket).toBe(join(only.home, "ipc.sock"));
  await expect(RawClient.connect(only.port)).rejects.toThrow();
  expect((await ipc(only, ["stop"])).code).toBe(0);
}, 20_000);

test("the broker tightens modes of IPC_HOME and its files at start", async () => {
  const home = tempHome();
  chmodSync(home, 0o755);
  mkdirSync(join(home, "sessions"), { mode: 0o755 });
  writeFileSync(join(home, "sessions", "x.json"), "{}", { mode: 0o644 });
  writeFileSync(join(home, "ipc.db"), "", { mode: 0o644 });
  const config = resolveConfig({ home, port: 0 }, {});
  await using _b = await startBroker(config);
  expect(statSync(home).mode & 0o777).toBe(0o700);
  expect(statSync(join(home, "sessions")).mode & 0o777).toBe(0o700);
  expect(statSync(join(home, "sessions", "x.json")).mode & 0o777).toBe(0o600);
  expect(statSync(join(home, "ipc.db")).mode & 0o777).toBe(0o600);
});

test("tokens never appear in status, list, errors or the broker log", async () => {
  const e = ipcEnv({ IPC_LOG_LEVEL: "info" });
  const broker = await startBrokerProcess(e);
  await using c = await RawClient.connect(e.port);
  const { token } = await c.call({ id: 1, op: "register", name: "tok" });
  const forged = `${token.slice(0, -4)}AAAA`;
  const outputs = [
    JSON.stringify(await c.call({ id: 2, op: "status" })),
    JSON.stringify(await c.call({ id: 3, op: "list" })),
    JSON.stringify(await c.call({ id: 4, op: "check", token: forged })),
    JSON.stringify(await c.call({ id: 5, op: "auth", token: forged })),
    (await ipc(e, ["status"])).stdout,
    (await ipc(e, ["list"])).stdout,
  ];
  await broker.stop();
  outputs.push(await broker.stderr());
  for (const text of outputs) {
    expect(text).not.toContain(token);
    expect(text).not.toContain(forged);
  }
});
