/**
 * Issue 23, item 5: `ipc join` in an IPC_HOME whose local broker runs with
 * agents says so — how many, which, who is online — and, with no terminal to
 * ask (CI, a script), refuses without --force, before the pairing code is used.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type BrokerProcess, ipc, ipcCommand, ipcEnv, ipcJson, type IpcEnv, startBrokerProcess } from "../helpers/processes.ts";
import { RawClient, registered } from "../helpers/raw.ts";

let server: IpcEnv;
let laptop: IpcEnv;
let remote: BrokerProcess;
let local: BrokerProcess;
let online: RawClient;

/** A free TCP port on 127.0.0.2. */
function freePortOn2(): number {
  const l = Bun.listen({ hostname: "127.0.0.2", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

beforeAll(async () => {
  server = ipcEnv();
  remote = await startBrokerProcess(server, ["--listen", `127.0.0.2:${freePortOn2()}`]);
  laptop = ipcEnv();
  local = await startBrokerProcess(laptop);
  expect((await ipc(laptop, ["register", "wilma"])).code).toBe(0);
  online = await registered(laptop.port, "pebbles");
}, 30_000);

afterAll(async () => {
  await online?.[Symbol.asyncDispose]();
  await local?.stop();
  await remote?.stop();
});

test("without a terminal it refuses, naming the agents and --force; the code stays unused; --force joins", async () => {
  const { link } = await ipcJson<{ link: string }>(server, ["invite", "--name", "laptop"]);
  const r = await ipc(laptop, ["join", link]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("has a local broker");
  expect(r.stderr).toContain("with 2 agents");
  expect(r.stderr).toContain("pebbles (online), wilma");
  expect(r.stderr).toContain("--force");
  expect(existsSync(join(laptop.home, "remote.json"))).toBe(false);
  // Nothing changed here: the local agents still use the local broker.
  expect((await ipc(laptop, ["send", "pebbles", "still local", "--as", "wilma"])).code).toBe(0);
  const forced = await ipc(laptop, ["join", link, "--force"]);
  expect({ code: forced.code, err: forced.stderr }).toEqual({ code: 0, err: "" });
  expect(forced.stdout).toContain("as machine laptop");
}, 30_000);

test.skipIf(Bun.which("script") === null)("on a terminal it asks: no keeps the home as it is, yes joins", async () => {
  const other = ipcEnv();
  await using _b = await startBrokerProcess(other);
  expect((await ipc(other, ["register", "dino"])).code).toBe(0);
  const { link } = await ipcJson<{ link: string }>(server, ["invite"]);
  // util-linux script(1) gives ipc join a terminal; what is typed comes from its stdin.
  const onTerminal = async (answer: string) => {
    const line = [...ipcCommand(), "join", link].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
    const p = Bun.spawn(["script", "-qec", line, "/dev/null"], { env: other.env, stdin: new TextEncoder().encode(answer), stdout: "pipe", stderr: "pipe" });
    const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
    return { out, code };
  };
  const no = await onTerminal("n\n");
  expect(no.out).toContain("with 1 agent");
  expect(no.out).toContain("Join anyway? [y/N]");
  expect(no.code).toBe(1);
  expect(existsSync(join(other.home, "remote.json"))).toBe(false);
  const yes = await onTerminal("y\n");
  expect(yes.out).toContain("as machine");
  expect(yes.code).toBe(0);
  expect(existsSync(join(other.home, "remote.json"))).toBe(true);
}, 30_000);

test("a home whose local broker has no agents joins without asking", async () => {
  const fresh = ipcEnv();
  await using _b = await startBrokerProcess(fresh);
  const { link } = await ipcJson<{ link: string }>(server, ["invite"]);
  const r = await ipc(fresh, ["join", link]);
  expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: "" });
}, 30_000);
