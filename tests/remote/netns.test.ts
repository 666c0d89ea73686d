/**
 * A joined machine in its own network namespace: a veth pair with link-local
 * addresses (169.254.213.0/30, never routed off this host) between the
 * broker's namespace and one this test creates, so the client really crosses
 * a network interface. Needs root and iproute2 (CI has both); skips, saying
 * why, elsewhere. Everything it creates is deleted afterwards.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { freePort } from "../helpers/ports.ts";
import { type BrokerProcess, type IpcEnv, ipcCommand, ipcEnv, ipcJson, startBrokerProcess } from "../helpers/processes.ts";

const NS = `ipc-test-${process.pid}`;
const VETH_HOST = `ipcva${process.pid % 100_000}`;
const VETH_NS = `ipcvb${process.pid % 100_000}`;
const HOST_IP = "169.254.213.1";
const NS_IP = "169.254.213.2";

function sh(args: string[]): { ok: boolean; err: string } {
  const r = Bun.spawnSync(args, { stdout: "ignore", stderr: "pipe" });
  return { ok: r.exitCode === 0, err: r.stderr.toString().trim() };
}

/** Why this machine cannot run the test, or null. */
function unavailable(): string | null {
  if (process.platform !== "linux") return "network namespaces are Linux only";
  if (process.getuid?.() !== 0) return "needs root to create a network namespace";
  if (Bun.which("ip") === null) return "needs iproute2's ip";
  return null;
}

let skip = unavailable();
let server: IpcEnv;
let broker: BrokerProcess | undefined;

beforeAll(async () => {
  if (skip !== null) return;
  const steps = [
    ["ip", "netns", "add", NS],
    ["ip", "link", "add", VETH_HOST, "type", "veth", "peer", "name", VETH_NS],
    ["ip", "link", "set", VETH_NS, "netns", NS],
    ["ip", "addr", "add", `${HOST_IP}/30`, "dev", VETH_HOST],
    ["ip", "link", "set", VETH_HOST, "up"],
    ["ip", "netns", "exec", NS, "ip", "addr", "add", `${NS_IP}/30`, "dev", VETH_NS],
    ["ip", "netns", "exec", NS, "ip", "link", "set", VETH_NS, "up"],
    ["ip", "netns", "exec", NS, "ip", "link", "set", "lo", "up"],
  ];
  for (const s of steps) {
    const r = sh(s);
    if (!r.ok) {
      skip = `could not set up the namespace (${s.join(" ")}: ${r.err})`;
      return;
    }
  }
  server = ipcEnv();
  broker = await startBrokerProcess(server, ["--listen", `${HOST_IP}:${freePort()}`]);
});

afterAll(async () => {
  await broker?.stop();
  sh(["ip", "link", "del", VETH_HOST]);
  sh(["ip", "netns", "del", NS]);
});

/** Runs `ipc` inside the namespace with `e`'s environment; parses --json output. */
async function inNs<T>(e: IpcEnv, args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: T | null; stderr: string }> {
  const proc = Bun.spawn(["ip", "netns", "exec", NS, ...ipcCommand(), ...args, "--json"], { env: { ...e.env, ...env }, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, out: code === 0 ? (JSON.parse(stdout) as T) : null, stderr };
}

test("a machine in another network namespace joins over the veth and talks both ways", async () => {
  if (skip !== null) {
    console.log(`skipped: ${skip}`);
    return;
  }
  const { link } = await ipcJson<{ link: string }>(server, ["invite", "--name", "netns-box"]);
  expect(link).toContain(`ipc+tls://${HOST_IP}:`);
  const box = ipcEnv({ IPC_PORT: String(freePort()) });
  const joined = await inNs<{ machine: string }>(box, ["join", link]);
  expect(joined.stderr).toBe("");
  expect(joined.out?.machine).toBe("netns-box");
  expect((await inNs(box, ["register", "boxagent"])).code).toBe(0);
  await ipcJson(server, ["register", "hostagent"], { env: { IPC_NAME: "hostagent" } });
  const sent = await inNs<{ status: string }>(box, ["send", "hostagent", "across the veth"], { IPC_NAME: "boxagent" });
  expect(sent.out?.status).toBe("queued");
  const got = await ipcJson<{ messages: { from: string; content: string }[] }>(server, ["check"], { env: { IPC_NAME: "hostagent" } });
  expect(got.messages).toEqual([expect.objectContaining({ from: "boxagent", content: "across the veth" })]);
  await ipcJson(server, ["send", "boxagent", "and back"], { env: { IPC_NAME: "hostagent" } });
  const back = await inNs<{ messages: { content: string }[] }>(box, ["check"], { IPC_NAME: "boxagent" });
  expect(back.out?.messages.map((m) => m.content)).toEqual(["and back"]);
  const machines = await ipcJson<{ machines: { name: string; last_address: string }[] }>(server, ["machines"]);
  expect(machines.machines.find((m) => m.name === "netns-box")?.last_address).toBe(NS_IP);
}, 60_000);
