/**
 * docs/cluster.md's local example, run as the page writes it (issue 27 bug
 * 4: its follow-up commands left out IPC_PORT and failed with "started a
 * broker but it did not answer"): every block of the section in order, with
 * the page's folders and ports swapped for temporary ones; nats-server itself
 * is started by the test helper (so it is waited for and stopped).
 */
import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { ipcOnPath, pageBlocks, sh } from "../helpers/cluster-clients.ts";
import { natsCluster, type NatsCluster, natsSkip } from "../helpers/nats.ts";
import { freePort } from "../helpers/ports.ts";
import { ipc, tempHome } from "../helpers/processes.ts";

let nats: NatsCluster | undefined;
const stops: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const stop of stops) await stop();
  await nats?.[Symbol.asyncDispose]();
});

test.skipIf(natsSkip !== null)("the local example runs as written: two brokers, a space key, a message across", async () => {
  nats = await natsCluster(1);
  const dir = tempHome("ipc-quick-");
  const [pa, pb] = [freePort(), freePort()];
  const env = { ...(process.env as Record<string, string>), PATH: `${ipcOnPath()}:${process.env.PATH}`, NO_COLOR: "1" };
  for (const [home, port] of [[join(dir, "a"), pa], [join(dir, "b"), pb]] as const) {
    stops.push(() => ipc({ home, port, env: { ...env, IPC_HOME: home, IPC_PORT: String(port) } }, ["stop"]));
  }
  const blocks = pageBlocks("A local example");
  expect(blocks.length).toBeGreaterThanOrEqual(2);
  expect(blocks[0]!.split("\n")[0]).toStartWith("nats-server ");
  const script = blocks
    .join("\n")
    .split("\n")
    .filter((l) => !l.startsWith("nats-server")) // the helper runs the server
    .join("\n")
    .replaceAll("/tmp/a", join(dir, "a"))
    .replaceAll("/tmp/b", join(dir, "b"))
    .replaceAll("nats://127.0.0.1:4222", nats.urls)
    .replaceAll("IPC_PORT=9901", `IPC_PORT=${pa}`)
    .replaceAll("IPC_PORT=9902", `IPC_PORT=${pb}`);
  const r = await sh(script, env);
  expect(r.code, r.out).toBe(0);
  expect(r.out).toContain("alice → bob");
  expect(r.out).toMatch(/\n  hi\n/);
}, 120_000);
