/**
 * Waiting on brokers of a cluster (docs/cluster.md) from tests: their cluster
 * status, joining, and an inbox read until a count of messages came. Every
 * loop is bounded.
 */
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { natsCluster, type NatsCluster } from "./nats.ts";
import { type BrokerProcess, ipcCommand, ipcEnv, type IpcEnv, startBrokerProcess, tempHome } from "./processes.ts";
import { RawClient } from "./raw.ts";

/** A three-node NATS cluster with broker processes on it. */
export interface BrokersOnCluster {
  nats: NatsCluster;
  envs: IpcEnv[];
  procs: BrokerProcess[];
  /** Stops every broker, then the NATS nodes, and removes their storage. */
  stop(): Promise<void>;
}

/**
 * A fresh space key file (docs/cluster.md: 32 random bytes as 64 hex digits, mode 0600), as `ipc cluster key`
 * makes one; its path.
 */
export function spaceKeyFile(): string {
  const file = join(tempHome("ipc-space-key-"), "space.key");
  writeFileSync(file, `${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex")}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

/**
 * The environment of a broker of `space` on the test's open (no credentials, loopback) NATS `urls`:
 * the space key `key`, and IPC_NATS_INSECURE=1 (the explicit opt-out such a server needs).
 */
export function clusterEnv(urls: string, space: string, key: string, extra: Record<string, string> = {}): Record<string, string> {
  return { IPC_NATS: urls, IPC_SPACE: space, IPC_SPACE_KEY: key, IPC_NATS_INSECURE: "1", ...extra };
}

/** Starts a NATS cluster (three nodes, or `size`) and `n` brokers (separate IPC_HOMEs, real processes, one space key) on it in `space`, and waits until each joined. */
export async function brokersOnCluster(n: number, space: string, size: 1 | 3 = 3): Promise<BrokersOnCluster & { key: string }> {
  const nats = await natsCluster(size);
  const key = spaceKeyFile();
  const envs: IpcEnv[] = [];
  const procs: BrokerProcess[] = [];
  const stop = async () => {
    for (const p of procs) await p.stop();
    await nats[Symbol.asyncDispose]();
  };
  try {
    for (let i = 0; i < n; i++) {
      const e = ipcEnv(clusterEnv(nats.urls, space, key));
      envs.push(e);
      procs.push(await startBrokerProcess(e));
    }
    for (const e of envs) await joined(e.port);
  } catch (err) {
    await stop();
    throw err;
  }
  return { nats, envs, procs, stop, key };
}

/** The `cluster` part of the status of the broker on `port` (undefined without one). */
export async function clusterStatus(port: number): Promise<any> {
  const c = await RawClient.connect(port);
  const r = await c.call({ id: 1, op: "status" });
  c.close();
  return r.cluster;
}

/** Waits (up to 30 s) until the broker on `port` is connected and its directory holds at least `names` names. */
export async function joined(port: number, names = 0): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const s = await clusterStatus(port);
    if (s?.connected === true && s.replicas > 0 && s.names >= names) return;
    await Bun.sleep(100);
  }
  throw new Error(`the broker on ${port} did not join the cluster with ${names} names`);
}

/**
 * Consumes `recipient`'s inbox until `n` messages came or nothing new arrived
 * for 30 s, then once more after 1.5 s (a duplicate would show there).
 * @returns the contents, in arrival order.
 */
export async function collect(recipient: RawClient, n: number): Promise<string[]> {
  const got: string[] = [];
  let idle = 0;
  for (let id = 100_000; got.length < n && idle < 300; id++) {
    const r = await recipient.call({ id, op: "check", limit: 500 });
    if (r.ok !== true) throw new Error(`check failed: ${JSON.stringify(r)}`);
    if (r.messages.length === 0) {
      idle++;
      await Bun.sleep(100);
    } else {
      idle = 0;
      got.push(...r.messages.map((m: any) => m.content));
    }
  }
  await Bun.sleep(1_500);
  const late = await recipient.call({ id: 99_999, op: "check", limit: 500 });
  got.push(...late.messages.map((m: any) => m.content));
  return got;
}

/** Polls `fn` until it returns a value (bounded), for state that crosses NATS. */
export async function eventually<T>(fn: () => Promise<T | null | undefined>, what: string, tries = 100): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    if (v !== null && v !== undefined) return v;
    await Bun.sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The fenced sh blocks of docs/cluster.md's section `heading` ("## heading"), in order. */
export function pageBlocks(heading: string): string[] {
  const page = readFileSync(resolve(import.meta.dir, "../../docs/cluster.md"), "utf8");
  const from = page.indexOf(`\n## ${heading}\n`);
  if (from < 0) throw new Error(`docs/cluster.md has no section "${heading}"`);
  const section = page.slice(from, page.indexOf("\n## ", from + 5));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** A folder holding an `ipc` that runs this checkout (for a page's commands, which expect one on the PATH). */
export function ipcOnPath(): string {
  const dir = tempHome("ipc-bin-");
  const cmd = ipcCommand().map((x) => `'${x}'`).join(" ");
  writeFileSync(join(dir, "ipc"), `#!/bin/sh\nexec ${cmd} "$@"\n`);
  chmodSync(join(dir, "ipc"), 0o755);
  return dir;
}

/** Runs a script with bash -eu (a failing command fails it): exit code, and stdout then stderr. */
export async function sh(script: string, env: Record<string, string>): Promise<{ code: number; out: string }> {
  const p = Bun.spawn(["bash", "-euc", script], { env, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out: `${out}\n${err}` };
}
