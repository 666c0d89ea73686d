/** --nats / IPC_NATS, --nats-creds / IPC_NATS_CREDS, --space / IPC_SPACE, --space-key, --nats-ca, --nats-insecure (src/config.ts, docs/cluster.md#5-configuration). */
import { expect, test } from "bun:test";
import { clusterRefusal, resolveConfig } from "../../src/config.ts";
import { IpcError } from "../../src/protocol/errors.ts";

test("without --nats or IPC_NATS a broker is on its own", () => {
  expect(resolveConfig({}, {}).cluster).toBeNull();
  expect(resolveConfig({}, { IPC_NATS: " , " }).cluster).toBeNull();
});

test("servers, credentials and space from the environment; flags win", () => {
  const env = { IPC_HOME: "/h", IPC_NATS: "nats://a:4222, nats://b:4222", IPC_NATS_CREDS: "/x.creds", IPC_SPACE: "Team-1" };
  expect(resolveConfig({}, env).cluster).toEqual({ servers: ["nats://a:4222", "nats://b:4222"], creds: "/x.creds", space: "team-1", keyFile: "/h/space-team-1.key", ca: null, insecure: false });
  expect(resolveConfig({ nats: "tls://c:4443", space: "other", spaceKey: "/k", natsCa: "/ca.pem", natsInsecure: true }, env).cluster).toEqual({
    servers: ["tls://c:4443"],
    creds: "/x.creds",
    space: "other",
    keyFile: "/k",
    ca: "/ca.pem",
    insecure: true,
  });
  const fromEnv = resolveConfig({}, { ...env, IPC_SPACE_KEY: "/k2", IPC_NATS_CA: "/ca2", IPC_NATS_INSECURE: "1" }).cluster;
  expect([fromEnv?.keyFile, fromEnv?.ca, fromEnv?.insecure]).toEqual(["/k2", "/ca2", true]);
  expect(resolveConfig({}, { IPC_NATS: "127.0.0.1:4222" }).cluster?.space).toBe("default");
});

test("a malformed URL or space is a usage error that names the setting", () => {
  for (const env of [{ IPC_NATS: "http://a:4222" }, { IPC_NATS: "nats://a:4222/path" }, { IPC_NATS: "nats://a:4222", IPC_SPACE: "a.b" }, { IPC_NATS: "nats://a:4222", IPC_SPACE: "x".repeat(33) }]) {
    let err: unknown;
    try {
      resolveConfig({}, env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IpcError);
    expect((err as IpcError).exitCode).toBe(2);
    expect((err as Error).message).toMatch(/IPC_NATS|IPC_SPACE/);
  }
});

test("secure by default: no credentials, or plain text to another machine, is refused unless --nats-insecure", () => {
  const refusal = (env: Record<string, string>) => clusterRefusal(resolveConfig({}, { IPC_HOME: "/h", ...env }).cluster!);
  expect(refusal({ IPC_NATS: "nats://127.0.0.1:4222" })).toContain("--nats-creds");
  expect(refusal({ IPC_NATS: "nats://127.0.0.1:4222", IPC_NATS_CREDS: "/c" })).toBeNull();
  expect(refusal({ IPC_NATS: "nats://localhost:4222,nats://[::1]:4222", IPC_NATS_CREDS: "/c" })).toBeNull();
  expect(refusal({ IPC_NATS: "nats://10.0.0.2:4222", IPC_NATS_CREDS: "/c" })).toContain("plain text");
  expect(refusal({ IPC_NATS: "nats.example.com:4222", IPC_NATS_CREDS: "/c" })).toContain("plain text");
  expect(refusal({ IPC_NATS: "tls://10.0.0.2:4222", IPC_NATS_CREDS: "/c" })).toBeNull();
  expect(refusal({ IPC_NATS: "nats://10.0.0.2:4222", IPC_NATS_INSECURE: "1" })).toBeNull();
});
