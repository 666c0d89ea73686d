/**
 * The compiled binary carries the NATS clients (docs/cluster.md): `bun build
 * --compile` bundles @nats-io/* into dist/ipc, so two brokers made from the
 * binary alone (no node_modules on their path) join one JetStream server and
 * talk across, and the doctor of the binary shows the cluster.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { compiledBinary } from "../helpers/binary.ts";
import { eventually, joined, clusterEnv, spaceKeyFile } from "../helpers/cluster-clients.ts";
import { natsCluster, type NatsCluster, natsSkip } from "../helpers/nats.ts";
import { type BrokerProcess, ipc, ipcEnv, type IpcEnv, startBrokerProcess } from "../helpers/processes.ts";

/** The space key of this file's brokers (docs/security.md#the-cluster-nats). */
const SPACE_KEY = spaceKeyFile();

let nats: NatsCluster;
let a: IpcEnv;
let b: IpcEnv;
const brokers: BrokerProcess[] = [];

describe.skipIf(natsSkip !== null)("the compiled binary on a cluster", () => {
  beforeAll(async () => {
    const bin = await compiledBinary();
    nats = await natsCluster(1);
    // Run from / so nothing could be resolved from the repository's node_modules.
    a = { ...ipcEnv(clusterEnv(nats.urls, "bin", SPACE_KEY)), cmd: [bin] };
    b = { ...ipcEnv(clusterEnv(nats.urls, "bin", SPACE_KEY)), cmd: [bin] };
    brokers.push(await startBrokerProcess(a), await startBrokerProcess(b));
    await joined(a.port);
    await joined(b.port);
  }, 180_000);

  afterAll(async () => {
    for (const p of brokers) await p.stop();
    await nats?.[Symbol.asyncDispose]();
  });

  test("two binary brokers exchange a message through JetStream, and doctor shows the cluster", async () => {
    expect((await ipc(a, ["register", "alice"], { cwd: "/" })).code).toBe(0);
    expect((await ipc(b, ["register", "bob"], { cwd: "/" })).code).toBe(0);
    await joined(a.port, 2);
    const sent = await ipc(a, ["send", "bob", "from a binary", "--as", "alice", "--json"], { cwd: "/" });
    expect(JSON.parse(sent.stdout).status).toBe("queued");
    const got = await eventually(async () => {
      const r = await ipc(b, ["check", "--as", "bob", "--json"], { cwd: "/" });
      const messages = JSON.parse(r.stdout).messages;
      return messages.length > 0 ? messages : null;
    }, "the message on B");
    expect(got.map((m: any) => [m.from, m.content])).toEqual([["alice", "from a binary"]]);
    const doctor = JSON.parse((await ipc(a, ["doctor", "--json"], { cwd: "/" })).stdout);
    // The open test server needs --nats-insecure (a warning); then the space, joined.
    expect(doctor.findings.filter((f: any) => f.check === "cluster").map((f: any) => f.status)).toEqual(["warn", "ok", "ok"]);
  }, 60_000);
});
