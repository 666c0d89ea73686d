/**
 * The secure setup of docs/cluster.md, run as the page writes it: its first
 * block (a CA and server certificate made with openssl, the nats-server
 * configuration with TLS, an account for the space and a user per broker with
 * permissions, the credentials files), then its second (the space key, two
 * brokers over TLS, a message across), with the page's paths and ports swapped
 * for a temporary folder and free ports; nats-server itself is started by the
 * test helper on that configuration (so it is waited for and stopped). Then,
 * as attackers: an anonymous NATS client, one without the CA, a broker's own
 * user reaching for another space or for the space's stream and buckets
 * wholesale, and another OS user who wants to join the space.
 * Secure by default: `ipc serve --nats` refuses a server that lets anyone in,
 * and a connection without credentials, unless told `--nats-insecure`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { clusterStatus, eventually, ipcOnPath, joined, pageBlocks, sh, spaceKeyFile } from "../helpers/cluster-clients.ts";
import { natsCluster, type NatsCluster, natsSkip, rawNats } from "../helpers/nats.ts";
import { freePort } from "../helpers/ports.ts";
import { ipc, ipcCommand, ipcEnv, type IpcEnv, startBrokerProcess, tempHome } from "../helpers/processes.ts";
import { noteBrokerHome } from "../helpers/raw.ts";
import { multiUserSkip, otherUser, restoreRepoModes } from "../helpers/users.ts";

const skip = natsSkip ?? (Bun.which("openssl") === null ? "openssl is not installed: the secure cluster setup is skipped" : null);

describe.skipIf(skip !== null)("a secure cluster setup (docs/cluster.md)", () => {
  let dir: string;
  let nats: NatsCluster;
  let url: string;
  let env: Record<string, string>;
  let a: IpcEnv;
  let b: IpcEnv;
  /** The page's second block as run (its output). */
  let ran: { code: number; out: string };

  beforeAll(async () => {
    dir = tempHome("ipc-secure-");
    const [files, start] = pageBlocks("A secure setup");
    env = { ...(process.env as Record<string, string>), PATH: `${ipcOnPath()}:${process.env.PATH}`, NO_COLOR: "1" };
    const made = await sh(files!.replaceAll("/tmp/ipc-secure", dir), env);
    expect(made.code, made.out).toBe(0);
    nats = await natsCluster(1, { config: readFileSync(join(dir, "nats.conf"), "utf8"), scheme: "tls" });
    url = nats.nodes[0]!.url;
    const [pa, pb] = [freePort(), freePort()];
    noteBrokerHome(pa, join(dir, "a"));
    noteBrokerHome(pb, join(dir, "b"));
    a = { home: join(dir, "a"), port: pa, env: { ...env, IPC_HOME: join(dir, "a"), IPC_PORT: String(pa) } };
    b = { home: join(dir, "b"), port: pb, env: { ...env, IPC_HOME: join(dir, "b"), IPC_PORT: String(pb) } };
    const script = start!
      .split("\n")
      .filter((l) => !l.startsWith("nats-server")) // the helper runs the server
      .join("\n")
      .replaceAll("/tmp/ipc-secure", dir)
      .replaceAll("tls://127.0.0.1:4333", url)
      .replaceAll("IPC_PORT=9911", `IPC_PORT=${pa}`)
      .replaceAll("IPC_PORT=9912", `IPC_PORT=${pb}`);
    ran = await sh(script, env);
  }, 180_000);

  afterAll(async () => {
    for (const e of [a, b]) if (e !== undefined) await ipc(e, ["stop"]);
    await nats?.[Symbol.asyncDispose]();
    restoreRepoModes();
  });

  test("the page's setup runs as written: two brokers join over TLS, each as its own NATS user, and mail crosses", async () => {
    expect(ran.code, ran.out).toBe(0);
    expect(ran.out).toContain("hello over TLS");
    for (const e of [a, b]) {
      const s = await clusterStatus(e.port);
      expect(s.connected).toBe(true);
      expect(s.insecure).toBeUndefined();
      expect(s.refused).toBeUndefined();
    }
    await joined(a.port, 2);
    expect((await ipc(b, ["send", "alice", "and back", "--as", "bob"])).code).toBe(0);
    const back = await ipc(a, ["check", "--as", "alice", "--wait", "10"]);
    expect(back.stdout).toContain("and back");
    // Channels, claims and a rename: every bucket and kind of write, under the page's permissions.
    for (const [e, who] of [[a, "alice"], [b, "bob"]] as const) expect((await ipc(e, ["channel", "join", "#ops", "--as", who])).code).toBe(0);
    await eventually(async () => ((await ipc(a, ["channel", "members", "#ops", "--as", "alice"])).stdout.includes("bob") ? true : null), "bob in #ops on A");
    expect((await ipc(a, ["send", "#ops", "to the channel", "--as", "alice"])).code).toBe(0);
    expect((await ipc(b, ["check", "--as", "bob", "--wait", "10"])).stdout).toContain("to the channel");
    expect((await ipc(b, ["channel", "leave", "#ops", "--as", "bob"])).code).toBe(0);
    const project = tempHome("ipc-secure-project-");
    mkdirSync(join(project, ".git"));
    expect((await ipc(a, ["claim", "src/**", "--as", "alice"], { cwd: project })).code).toBe(0);
    await eventually(async () => ((await ipc(b, ["claim", "src/x.ts", "--as", "bob"], { cwd: project })).stderr.includes("CLAIM_CONFLICT") ? true : null), "the claim on B");
    expect((await ipc(b, ["rename", "robert", "--as", "bob"])).code).toBe(0);
    // The permissions of the page are all a broker needs: the server logged no violation by a broker.
    expect(readFileSync(nats.nodes[0]!.log, "utf8")).not.toMatch(/Violation/);
    // The credentials and the space key are readable by their owner only.
    for (const f of ["broker-a.creds", "broker-b.creds", "ca-key.pem", "server-key.pem", "a/space-team.key", "b/space-team.key"]) {
      expect((Bun.spawnSync(["stat", "-c", "%a", join(dir, f)]).stdout.toString().trim())).toBe("600");
    }
  }, 60_000);

  test("anonymous, without the CA, or in plain text: NATS refuses the connection", async () => {
    const ca = join(dir, "ca.pem");
    await expect(rawNats(url, { ca })).rejects.toThrow(/Authorization/i);
    const [user, pass] = readFileSync(join(dir, "broker-a.creds"), "utf8").trim().split(":") as [string, string];
    await expect(rawNats(url, { user, pass })).rejects.toThrow();
    await expect(rawNats(url.replace("tls://", "nats://"), { user, pass })).rejects.toThrow();
  }, 30_000);

  test("a broker's own NATS user reaches only its space: no other space's stream or subjects, no deleting or purging the space's stream and buckets", async () => {
    const [user, pass] = readFileSync(join(dir, "broker-a.creds"), "utf8").trim().split(":") as [string, string];
    await using raw = await rawNats(url, { user, pass, ca: join(dir, "ca.pem") });
    await expect(raw.jsm.streams.add({ name: "IPC_other", subjects: ["ipc.other.to.>"] })).rejects.toThrow(/permission/i);
    await expect(raw.js.publish("ipc.other.to.x", "x", { timeout: 3_000 })).rejects.toThrow();
    await expect(raw.jsm.streams.delete("IPC_team")).rejects.toThrow(/permission/i);
    await expect(raw.jsm.streams.purge("KV_ipc_team_claims")).rejects.toThrow(/permission/i);
    await expect(raw.jsm.streams.delete("KV_ipc_team_names")).rejects.toThrow(/permission/i);
    // The space is whole.
    expect((await raw.jsm.streams.info("IPC_team")).config.name).toBe("IPC_team");
  }, 30_000);

  test.skipIf(multiUserSkip !== null)("another OS user reads neither credentials nor key, and its broker is refused without credentials", async () => {
    await using other = await otherUser();
    const as = (cmd: string[], extra: Record<string, string> = {}) => {
      const p = Bun.spawnSync([...other.as({ HOME: other.dir, PATH: env.PATH!, ...extra }), ...cmd], { stdout: "pipe", stderr: "pipe" });
      return { code: p.exitCode, out: `${p.stdout}${p.stderr}` };
    };
    // The folders let it through (traverse only), so only the files' own modes stand in its way.
    for (const d of [dir, join(dir, "a")]) chmodSync(d, 0o711);
    for (const f of ["broker-a.creds", "a/space-team.key"]) {
      const r = as(["cat", join(dir, f)]);
      expect(r.code).not.toBe(0);
      expect(r.out).toContain("Permission denied");
    }
    for (const d of [dir, join(dir, "a")]) chmodSync(d, 0o700);
    const home = join(other.dir, "ipc");
    const port = String(freePort());
    const serve = as([...ipcCommand(), "serve", "--nats", url, "--space", "team"], { IPC_HOME: home, IPC_PORT: port });
    expect(serve.code).toBe(2);
    expect(serve.out).toContain("--nats-creds");
  }, 60_000);
});

describe.skipIf(natsSkip !== null)("secure by default on an open NATS server", () => {
  let nats: NatsCluster;
  beforeAll(async () => {
    nats = await natsCluster(1);
  }, 120_000);
  afterAll(() => nats?.[Symbol.asyncDispose]());

  test("ipc serve --nats without credentials exits 2 saying what to do, unless --nats-insecure", async () => {
    const e = ipcEnv({ IPC_SPACE_KEY: spaceKeyFile() });
    const r = await ipc(e, ["serve", "--nats", nats.urls]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--nats-creds");
    expect(r.stderr).toContain("--nats-insecure");
    const far = await ipc(e, ["serve", "--nats", "nats://192.0.2.1:4222", "--nats-creds", "/nonexistent"]);
    expect(far.code).toBe(2);
    expect(far.stderr).toContain("tls://");
  }, 30_000);

  test("with credentials, a server that lets anyone in is refused: the broker stays on its own and says why", async () => {
    const creds = join(tempHome(), "c.creds");
    writeFileSync(creds, "someone:secret\n", { mode: 0o600 });
    const e = ipcEnv({ IPC_SPACE_KEY: spaceKeyFile() });
    await using broker = await startBrokerProcess(e, ["--nats", nats.urls, "--nats-creds", creds]);
    const s = await eventually(async () => {
      const c = await clusterStatus(e.port);
      return c?.refused !== undefined ? c : null;
    }, "the refusal");
    expect(s.connected).toBe(false);
    expect(s.refused).toContain("without authentication");
    const doctor = JSON.parse((await ipc(e, ["doctor", "--json"])).stdout).findings.filter((f: any) => f.check === "cluster");
    expect(doctor[0].status).toBe("fail");
    expect(doctor[0].message).toContain("without authentication");
    void broker;
  }, 30_000);

  test("a space key others can read, or none, is refused at start saying how to make and copy one", async () => {
    const e = ipcEnv({ IPC_NATS_INSECURE: "1" });
    const none = await ipc(e, ["serve", "--nats", nats.urls]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("ipc cluster key");
    const key = spaceKeyFile();
    chmodSync(key, 0o644);
    const open = await ipc(e, ["serve", "--nats", nats.urls, "--space-key", key]);
    expect(open.code).toBe(2);
    expect(open.stderr).toContain("chmod 600");
    // ipc cluster key makes one, 0600, and keeps it when asked again.
    const made = JSON.parse((await ipc(e, ["cluster", "key", "--json"])).stdout);
    expect(made.made).toBe(true);
    expect(Bun.spawnSync(["stat", "-c", "%a", made.file]).stdout.toString().trim()).toBe("600");
    const again = JSON.parse((await ipc(e, ["cluster", "key", "--json"])).stdout);
    expect([again.made, again.file, readFileSync(again.file, "utf8")]).toEqual([false, made.file, readFileSync(made.file, "utf8")]);
  }, 30_000);
});

describe.skipIf(natsSkip !== null)("other kinds of NATS credentials", () => {
  test("an nkey user seed as --nats-creds: the broker joins a server that knows the user by its public key", async () => {
    const { nkeys } = await import("@nats-io/transport-node");
    const user = nkeys.createUser();
    await using nats = await natsCluster(1, { config: `authorization { users: [ { nkey: "${user.getPublicKey()}" } ] }\n` });
    const seed = join(tempHome(), "broker.nk");
    writeFileSync(seed, `${new TextDecoder().decode(user.getSeed())}\n`, { mode: 0o600 });
    const e = ipcEnv({ IPC_SPACE_KEY: spaceKeyFile() });
    await using broker = await startBrokerProcess(e, ["--nats", nats.urls, "--nats-creds", seed, "--space", "nk"]);
    await joined(e.port);
    const s = await clusterStatus(e.port);
    expect([s.connected, s.refused, s.insecure]).toEqual([true, undefined, undefined]);
    void broker;
  }, 60_000);
});
