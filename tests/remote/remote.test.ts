/**
 * Agents on two "machines": a broker with a TLS listener on 127.0.0.2 (another
 * loopback address) and a second IPC_HOME that joins it with `ipc invite` /
 * `ipc join`, driven by the real CLI and the MCP SDK client.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { resolveConfig } from "../../src/config.ts";
import { manualClock, testBroker } from "../helpers/broker.ts";
import { freePort } from "../helpers/ports.ts";
import { type BrokerProcess, type IpcEnv, ipc, ipcEnv, ipcJson, startBrokerProcess } from "../helpers/processes.ts";
import { startMcp } from "../mcp/_mcp.ts";

/** A raw TLS connection to the broker's network listener (no pinning), once its handshake is done. */
async function rawTls(port: number): Promise<{ write(text: string): void; frames: string[]; end(): void }> {
  const frames: string[] = [];
  let ready!: () => void;
  const done = new Promise<void>((r) => (ready = r));
  const sock = await Bun.connect({
    hostname: "127.0.0.2",
    port,
    tls: { rejectUnauthorized: false },
    socket: {
      handshake: () => ready(),
      data: (_s, d) => void frames.push(...d.toString().split("\n").filter(Boolean)),
    },
  });
  await done;
  return { write: (t) => void sock.write(t), frames, end: () => void sock.end() };
}

/** Waits (bounded: 2 s) until `frames` holds `n` frames. */
async function framesOf(frames: string[], n: number): Promise<string[]> {
  for (let i = 0; i < 100 && frames.length < n; i++) await Bun.sleep(20);
  return frames;
}

/** A free TCP port on 127.0.0.2. */
function freePortOn2(): number {
  const l = Bun.listen({ hostname: "127.0.0.2", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

let server: IpcEnv; // the broker's machine
let laptop: IpcEnv; // the joined machine: its own IPC_HOME, nothing listening on its IPC_PORT
let broker: BrokerProcess;
let tlsPort: number;

/** `ipc invite` on the broker's machine; returns the link. */
async function invite(args: string[] = [], e = server): Promise<string> {
  const r = await ipcJson<{ link: string }>(e, ["invite", ...args]);
  return r.link;
}

beforeAll(async () => {
  tlsPort = freePortOn2();
  server = ipcEnv();
  laptop = ipcEnv({ IPC_PORT: String(freePort()) });
  broker = await startBrokerProcess(server, ["--listen", `127.0.0.2:${tlsPort}`]);
  const link = await invite(["--name", "laptop"]);
  expect(link).toStartWith(`ipc+tls://127.0.0.2:${tlsPort}#fp=SHA256:`);
  const joined = await ipc(laptop, ["join", link]);
  expect(joined.stderr).toBe("");
  expect(joined.code).toBe(0);
  expect(joined.stdout).toContain("as machine laptop");
  for (const [e, name] of [[server, "fred"], [laptop, "barney"]] as const) {
    expect((await ipc(e, ["register", name], { env: { IPC_NAME: name } })).code).toBe(0);
  }
});

afterAll(async () => {
  await broker?.stop();
});

describe("two machines over TLS", () => {
  test("the pairing is saved 0600 with address and fingerprint; the broker keeps only a public key", async () => {
    const path = join(laptop.home, "remote.json");
    const { statSync } = await import("node:fs");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(path, "utf8"));
    expect(saved).toMatchObject({ host: "127.0.0.2", port: tlsPort, machine: "laptop" });
    const { Database } = await import("bun:sqlite");
    const db = new Database(join(server.home, "ipc.db"), { readonly: true });
    const row = db.query("SELECT public_key FROM machines WHERE name = 'laptop'").get() as { public_key: string };
    db.close();
    expect(row.public_key).toStartWith("-----BEGIN PUBLIC KEY-----");
    expect(row.public_key).not.toContain(saved.private_key.split("\n")[1]);
  });

  test("messages go both ways, and a waiting check on the joined machine gets a push", async () => {
    const sent = await ipcJson<{ message_id: number }>(server, ["send", "barney", "hello from the server"], { env: { IPC_NAME: "fred" } });
    const got = await ipcJson<{ messages: { id: number; content: string }[] }>(laptop, ["check"], { env: { IPC_NAME: "barney" } });
    expect(got.messages.map((m) => m.id)).toEqual([sent.message_id]);
    await ipcJson(laptop, ["send", "fred", "hello from the laptop"], { env: { IPC_NAME: "barney" } });
    const back = await ipcJson<{ messages: { content: string; from: string }[] }>(server, ["check"], { env: { IPC_NAME: "fred" } });
    expect(back.messages).toEqual([expect.objectContaining({ from: "barney", content: "hello from the laptop" })]);

    const waiting = ipcJson<{ messages: { content: string }[] }>(laptop, ["check", "--wait", "20"], { env: { IPC_NAME: "barney" } });
    await Bun.sleep(300);
    const t0 = performance.now();
    await ipcJson(server, ["send", "barney", "pushed across"], { env: { IPC_NAME: "fred" } });
    const pushed = await waiting;
    expect(pushed.messages.map((m) => m.content)).toEqual(["pushed across"]);
    expect(performance.now() - t0).toBeLessThan(15_000); // answered on arrival, not at the end of the wait
  });

  test("an MCP server on the joined machine works against the remote broker", async () => {
    await using mcp = await startMcp(laptop, { name: "wilma" });
    const reg = await mcp.call("register", { instance_id: "wilma" });
    expect(reg.isError).toBe(false);
    const sent = await mcp.call("send", { to: "fred", content: "from an MCP host on the laptop" });
    expect(sent.isError).toBe(false);
    const back = await ipcJson<{ messages: { from: string; content: string }[] }>(server, ["check"], { env: { IPC_NAME: "fred" } });
    expect(back.messages).toContainEqual(expect.objectContaining({ from: "wilma", content: "from an MCP host on the laptop" }));
    // Nothing started a broker on the laptop's own port.
    const local = await ipc({ ...laptop, env: { ...laptop.env } }, ["status", "--no-spawn"], { env: { IPC_HOME: join(laptop.home, "elsewhere") } });
    expect(local.code).toBe(3);
  });

  test("plain TCP to the TLS port is refused with a clear error, and the legacy protocol is never served there", async () => {
    const plain = ipcEnv({ IPC_HOST: "127.0.0.2", IPC_PORT: String(tlsPort) });
    const r = await ipc(plain, ["list"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("answers with TLS");
    expect(r.stderr).toContain("ipc join");
    const legacy = await rawTls(tlsPort);
    legacy.write(`${JSON.stringify({ action: "list", instance_id: "x" })}\n`);
    expect((await framesOf(legacy.frames, 1)).join("")).toContain("not served on network listeners");
    legacy.end();
  });

  test("a connection to the TLS port that has not proved a machine gets nothing but hello", async () => {
    const sock = await rawTls(tlsPort);
    for (const op of [{ op: "list" }, { op: "status" }, { op: "register", name: "mallory" }, { op: "shutdown" }]) sock.write(`${JSON.stringify({ id: 1, ...op })}\n`);
    const frames = await framesOf(sock.frames, 4);
    sock.end();
    expect(frames).toHaveLength(4);
    for (const f of frames) expect(JSON.parse(f).ok).toBe(false);
    const names = await ipcJson<{ instances: { name: string }[] }>(server, ["list"]);
    expect(names.instances.map((i) => i.name)).not.toContain("mallory");
  });

  test("a server with another certificate on the pinned address is refused; nothing is sent to it", async () => {
    const other = ipcEnv();
    const otherTls = freePortOn2();
    await using impostor = await startBrokerProcess(other, ["--listen", `127.0.0.2:${otherTls}`]);
    // The laptop's pairing, pointed at the impostor's port (as a hijacked address would be).
    const moved = ipcEnv({ IPC_PORT: String(freePort()) });
    const saved = JSON.parse(readFileSync(join(laptop.home, "remote.json"), "utf8"));
    writeFileSync(join(moved.home, "remote.json"), JSON.stringify({ ...saved, port: otherTls }), { mode: 0o600 });
    const r = await ipc(moved, ["send", "fred", "secret plans"], { env: { IPC_NAME: "barney" } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("its certificate is SHA256:");
    expect(r.stderr).toContain("ipc leave, then ipc join");
    const seen = await ipcJson<{ instances: unknown[]; }>(other, ["list"]);
    expect(seen.instances).toEqual([]);
    void impostor;
  });

  test("ipc doctor on both sides: address, fingerprint, credential, round trip; listeners and machines", async () => {
    const fp = JSON.parse(readFileSync(join(laptop.home, "remote.json"), "utf8")).fingerprint as string;
    const there = await ipc(laptop, ["doctor"]);
    expect(there.stdout).toContain(`joined 127.0.0.2:${tlsPort} as machine laptop`);
    expect(there.stdout).toContain(fp);
    expect(there.stdout).toContain("credential: ECDSA P-256 key");
    expect(there.stdout).toMatch(/remote broker answers: TLS connect and authentication [\d.]+ ms, round trip [\d.]+ ms/);
    expect(there.code).toBe(0);
    const here = await ipc(server, ["doctor"]);
    expect(here.stdout).toContain(`listening for machines on 127.0.0.2:${tlsPort} (TLS, certificate ${fp})`);
  });

  test("a used invite code is refused; only the owner may invite, list or revoke machines", async () => {
    const link = await invite();
    const one = ipcEnv({ IPC_PORT: String(freePort()) });
    expect((await ipc(one, ["join", link, "--name", "box1"])).code).toBe(0);
    const two = ipcEnv({ IPC_PORT: String(freePort()) });
    const again = await ipc(two, ["join", link, "--name", "box2"]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("unknown, used or expired");
    const fromMachine = await ipc(one, ["invite"]);
    expect(fromMachine.code).not.toBe(0);
    expect(fromMachine.stderr).toContain("for the broker's owner");
    const machines = await ipcJson<{ machines: { name: string }[] }>(server, ["machines"]);
    expect(machines.machines.map((m) => m.name)).toEqual(expect.arrayContaining(["laptop", "box1"]));
    const left = await ipcJson<{ told: boolean }>(one, ["leave"]);
    expect(left.told).toBe(true);
    const after = await ipcJson<{ machines: { name: string; revoked_at: string | null }[] }>(server, ["machines"]);
    expect(after.machines.find((m) => m.name === "box1")?.revoked_at).not.toBeNull();
  });

  test("the broker restarted mid-session loses nothing; clients reconnect by themselves", async () => {
    const sent = await ipcJson<{ message_id: number }>(laptop, ["send", "fred", "before the restart"], { env: { IPC_NAME: "barney" } });
    await broker.stop();
    broker = await startBrokerProcess(server, ["--listen", `127.0.0.2:${tlsPort}`]);
    const got = await ipcJson<{ messages: { id: number }[] }>(server, ["check"], { env: { IPC_NAME: "fred" } });
    expect(got.messages.map((m) => m.id)).toContain(sent.message_id);
    const after = await ipcJson<{ status: string }>(laptop, ["send", "fred", "after the restart"], { env: { IPC_NAME: "barney" } });
    expect(after.status).toBe("queued");
  });

  test("an MCP check --wait on the joined machine spans a dropped connection (broker killed, restarted) and gets mail sent after it", async () => {
    await using mcp = await startMcp(laptop, { name: "betty" });
    expect((await mcp.call("list_instances")).isError).toBe(false);
    const waiting = mcp.call("check", { wait: 30 });
    await Bun.sleep(500);
    await broker.kill(); // the connection drops, as on a network fault (a clean stop answers UNAVAILABLE instead)
    broker = await startBrokerProcess(server, ["--listen", `127.0.0.2:${tlsPort}`]);
    // The waiter reconnects over TLS (proving the machine key again) and waits for the time left.
    let delivered = "";
    for (let i = 0; i < 100 && !delivered; i++) {
      const r = await ipcJson<{ status: string }>(server, ["send", "betty", "after the restart, over TLS"], { env: { IPC_NAME: "fred" } });
      if (r.status === "delivered") delivered = r.status;
      else await Bun.sleep(100);
    }
    const got = await waiting;
    // The text first: on a failure it shows the tool's error.
    expect(got.text).toContain("after the restart, over TLS");
    expect(got.isError).toBe(false);
  }, 60_000);

  test("revoke cuts a machine off at once: its waiting check fails, and it can do nothing more", async () => {
    const waiting = ipc(laptop, ["check", "--wait", "30"], { env: { IPC_NAME: "barney" } });
    await Bun.sleep(400);
    const r = await ipcJson<{ connections_closed: number }>(server, ["revoke", "laptop"]);
    expect(r.connections_closed).toBeGreaterThanOrEqual(1);
    const cut = await waiting;
    expect(cut.code).not.toBe(0);
    expect(cut.stderr).toContain("revoked");
    const later = await ipc(laptop, ["send", "fred", "still here?"], { env: { IPC_NAME: "barney" } });
    expect(later.code).toBe(3);
    expect(later.stderr).toContain("revoked");
  });
});

describe("pairing codes expire", () => {
  test("a code used after its expiry is refused", async () => {
    const clock = manualClock();
    const tls = freePortOn2();
    await using b = await testBroker({ IPC_LISTEN: `127.0.0.2:${tls}` }, { clock: clock.read });
    const owner = { home: b.config.home, port: b.port, env: { ...(process.env as Record<string, string>), IPC_HOME: b.config.home, IPC_PORT: String(b.port), NO_COLOR: "1" } };
    const { link } = await ipcJson<{ link: string }>(owner, ["invite", "--expires", "2m"]);
    clock.advance(2 * 60_000 + 1);
    const late = ipcEnv({ IPC_PORT: String(freePort()) });
    const r = await ipc(late, ["join", link]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("unknown, used or expired");
    expect(resolveConfig({}, late.env).home).toBe(late.home);
  });
});
