/** --nats / IPC_NATS, --nats-creds / IPC_NATS_CREDS, --space / IPC_SPACE (src/config.ts, docs/cluster.md#5-configuration). */
import { expect, test } from "bun:test";
import { resolveConfig } from "../../src/config.ts";
import { IpcError } from "../../src/protocol/errors.ts";

test("without --nats or IPC_NATS a broker is on its own", () => {
  expect(resolveConfig({}, {}).cluster).toBeNull();
  expect(resolveConfig({}, { IPC_NATS: " , " }).cluster).toBeNull();
});

test("servers, credentials and space from the environment; flags win", () => {
  const env = { IPC_NATS: "nats://a:4222, nats://b:4222", IPC_NATS_CREDS: "/x.creds", IPC_SPACE: "Team-1" };
  expect(resolveConfig({}, env).cluster).toEqual({ servers: ["nats://a:4222", "nats://b:4222"], creds: "/x.creds", space: "team-1" });
  expect(resolveConfig({ nats: "tls://c:4443", space: "other" }, env).cluster).toEqual({ servers: ["tls://c:4443"], creds: "/x.creds", space: "other" });
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
