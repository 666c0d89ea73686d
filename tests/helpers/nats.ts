/**
 * A real NATS JetStream cluster for tests (docs/cluster.md): Debian's
 * nats-server, three nodes on loopback ports with temporary storage, stopped
 * and removed by `await using`. Node i can be killed (-9) and started again.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports.ts";

/** Why the cluster tests are skipped, or null when nats-server is on the PATH. */
export const natsSkip: string | null = Bun.which("nats-server") === null ? "nats-server is not installed (apt-get install nats-server): cluster tests skipped" : null;

export interface NatsNode {
  port: number;
  url: string;
  proc: Bun.Subprocess | null;
}

export interface NatsCluster extends AsyncDisposable {
  nodes: NatsNode[];
  /** Every client URL, comma-separated (for --nats / IPC_NATS). */
  urls: string;
  /** SIGKILL node i. */
  kill(i: number): Promise<void>;
  /** Starts node i again (same ports and storage). */
  start(i: number): void;
}

/** Starts `size` JetStream nodes (3: a cluster with routes; 1: a single server) and waits until each accepts connections. */
export async function natsCluster(size: 1 | 3 = 3): Promise<NatsCluster> {
  const dir = mkdtempSync(join(tmpdir(), "ipc-nats-"));
  const routePorts = Array.from({ length: size }, () => freePort());
  const nodes: NatsNode[] = Array.from({ length: size }, () => {
    const port = freePort();
    return { port, url: `nats://127.0.0.1:${port}`, proc: null };
  });
  const start = (i: number) => {
    const node = nodes[i]!;
    const args = ["nats-server", "-a", "127.0.0.1", "-p", String(node.port), "-js", "-sd", join(dir, `n${i}`), "-n", `n${i}`];
    if (size > 1) {
      const routes = routePorts.filter((_, j) => j !== i).map((p) => `nats://127.0.0.1:${p}`).join(",");
      args.push("--cluster_name", "ipc-test", "--cluster", `nats://127.0.0.1:${routePorts[i]}`, "--routes", routes);
    }
    node.proc = Bun.spawn(args, { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
  };
  for (let i = 0; i < size; i++) start(i);
  for (const n of nodes) await waitForPort(n.port);
  return {
    nodes,
    urls: nodes.map((n) => n.url).join(","),
    async kill(i) {
      const p = nodes[i]!.proc;
      p?.kill("SIGKILL");
      await p?.exited;
      nodes[i]!.proc = null;
    },
    start(i) {
      start(i);
    },
    async [Symbol.asyncDispose]() {
      for (const n of nodes) {
        n.proc?.kill("SIGKILL");
        await n.proc?.exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } }).then(
      (s) => (s.end(), true),
      () => false,
    );
    if (ok) return;
    await Bun.sleep(50);
  }
  throw new Error(`nats-server did not listen on ${port}`);
}
