/**
 * Issue 23, item 2: "a machine acts only with the sessions it registered".
 * A joined machine (over a TLS listener on 127.0.0.2) cannot register a name
 * of the broker's own machine — alice, offline, with mail she has read — nor
 * take over bob, online; it registers fresh names and its own again; another
 * machine cannot take those; the owner hands a name over with
 * `ipc machines give NAME MACHINE`.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { freePort } from "../helpers/ports.ts";
import { type BrokerProcess, ipc, ipcEnv, ipcJson, type IpcEnv, startBrokerProcess } from "../helpers/processes.ts";
import { RawClient, registered } from "../helpers/raw.ts";

let server: IpcEnv;
let laptop: IpcEnv;
let box: IpcEnv;
let broker: BrokerProcess;
let bob: RawClient;

/** A free TCP port on 127.0.0.2. */
function freePortOn2(): number {
  const l = Bun.listen({ hostname: "127.0.0.2", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

async function joined(name: string): Promise<IpcEnv> {
  const e = ipcEnv({ IPC_PORT: String(freePort()) });
  const { link } = await ipcJson<{ link: string }>(server, ["invite", "--name", name]);
  const r = await ipc(e, ["join", link]);
  expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: "" });
  return e;
}

beforeAll(async () => {
  server = ipcEnv();
  broker = await startBrokerProcess(server, ["--listen", `127.0.0.2:${freePortOn2()}`]);
  laptop = await joined("laptop");
  box = await joined("box");
  // alice: an agent of the broker's machine, offline now, with mail she has read.
  expect((await ipc(server, ["register", "alice"])).code).toBe(0);
  expect((await ipc(server, ["register", "carol"])).code).toBe(0);
  expect((await ipc(server, ["send", "alice", "the deploy key is in vault 7", "--as", "carol"])).code).toBe(0);
  expect((await ipcJson(server, ["check", "--as", "alice"])).messages).toHaveLength(1);
  // bob: online on the broker's machine (a live connection holds his session).
  bob = await registered(server.port, "bob");
}, 60_000);

afterAll(async () => {
  await bob?.[Symbol.asyncDispose]();
  await broker?.stop();
});

test("a joined machine cannot register alice (offline, of the broker's machine) nor read her history", async () => {
  for (const args of [["register", "alice"], ["register", "alice", "--takeover"]]) {
    const r = await ipc(laptop, args);
    expect({ args, code: r.code }).toEqual({ args, code: 1 });
    expect(r.stderr).toContain("alice is an agent of the broker's own machine");
    expect(r.stderr).toContain("ipc machines give alice laptop");
  }
  const h = await ipc(laptop, ["history", "--as", "alice"]);
  expect(h.code).not.toBe(0);
  expect(h.stdout).not.toContain("vault 7");
  const s = await ipc(laptop, ["search", "vault", "--as", "alice"]);
  expect(s.stdout).not.toContain("vault 7");
}, 30_000);

test("a joined machine cannot take over bob, who is online; bob keeps his session", async () => {
  const r = await ipc(laptop, ["register", "bob", "--takeover"]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("bob is an agent of the broker's own machine");
  const who = await bob.call({ id: 1, op: "whoami" });
  expect(who).toMatchObject({ ok: true, name: "bob" });
}, 30_000);

test("it registers fresh names and its own again; another machine cannot take them", async () => {
  expect((await ipc(laptop, ["register", "barney"])).code).toBe(0);
  expect((await ipc(laptop, ["send", "carol", "hi from the laptop", "--as", "barney"])).code).toBe(0);
  const again = await ipc(laptop, ["register", "barney", "--takeover"]);
  expect({ code: again.code, err: again.stderr }).toEqual({ code: 0, err: "" });
  const other = await ipc(box, ["register", "barney", "--takeover"]);
  expect(other.code).toBe(1);
  expect(other.stderr).toContain("barney is an agent of machine laptop");
  // The broker's own machine is the owner's: it may take any name.
  expect((await ipc(server, ["register", "barney", "--takeover"])).code).toBe(0);
}, 30_000);

test("the owner hands alice over with ipc machines give; then the machine registers her, history included", async () => {
  const given = await ipcJson<{ name: string; machine: string }>(server, ["machines", "give", "alice", "laptop"]);
  expect(given).toMatchObject({ name: "alice", machine: "laptop" });
  const r = await ipc(laptop, ["register", "alice"]);
  expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: "" });
  const h = await ipcJson<{ messages: { content: string }[] }>(laptop, ["history", "--as", "alice"]);
  expect(h.messages.map((m) => m.content)).toContain("the deploy key is in vault 7");
  // Only the owner gives names away.
  const fromMachine = await ipc(laptop, ["machines", "give", "bob", "laptop"]);
  expect(fromMachine.code).toBe(1);
  expect(fromMachine.stderr).toContain("for the broker's owner only");
  const unknown = await ipc(server, ["machines", "give", "alice", "nosuchbox"]);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toContain("no machine named nosuchbox");
}, 30_000);
