/**
 * Names from the CLI against a real broker process (docs/identity.md): the
 * test runner is one shell, `underOwnHost` runs a command from another one.
 * NAME_TAKEN and takeover, no silent guessing (exit 2 with the candidates),
 * `as NAME` in every acting command's output, whoami, and delivery receipts.
 */
import { describe, expect, test } from "bun:test";
import { Agent } from "../../src/client/agent.ts";
import { connectBroker } from "../../src/client/connect.ts";
import { IpcError } from "../../src/protocol/errors.ts";
import { testBroker } from "../helpers/broker.ts";
import { type IpcEnv, ipc, ipcCommand, ipcEnv, ipcJson, startBrokerProcess, underOwnHost } from "../helpers/processes.ts";

/** Runs `ipc` and fails with its stderr unless it exits 0. */
async function ok(e: IpcEnv, args: string[]) {
  const r = await ipc(e, args);
  if (r.code !== 0) throw new Error(`ipc ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r;
}

/** Resolves once `name` has a live connection (ipc list shows it online); at most 10 s. */
async function untilOnline(e: IpcEnv, name: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { instances } = await ipcJson(e, ["list"]);
    if (instances.some((x: { name: string; online: boolean }) => x.name === name && x.online)) return;
    await Bun.sleep(50);
  }
  throw new Error(`${name} never came online`);
}

describe("names from the CLI", () => {
  test("a name this shell holds is NAME_TAKEN from another shell, naming the holder; --takeover takes it", async () => {
    const e = ipcEnv();
    await using _broker = await startBrokerProcess(e);
    await ok(e, ["register", "alice"]);
    const other = underOwnHost(e);
    const refused = await ipc(other, ["register", "alice"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`alice is held by another live session (cli, pid ${process.pid}, since `);
    expect(refused.stderr).toContain("ipc register alice --takeover");

    const json = await ipc(other, ["register", "alice", "--json"]);
    expect(json.stderr).toContain("NAME_TAKEN");

    const took = await ipc(other, ["register", "alice", "--takeover"]);
    expect(took.code).toBe(0);
    expect(took.stdout).toContain("Registered alice");
    // The same shell registering its own name again is the same seat: no refusal.
    await ok(e, ["register", "bob"]);
    await ok(e, ["register", "bob"]);
  });

  test("with several candidate names and nothing to pick one, an acting command exits 2 listing them", async () => {
    const e = ipcEnv();
    await using _broker = await startBrokerProcess(e);
    await ok(e, ["register", "alice"]);
    await ok(e, ["register", "bob"]);
    const fresh = underOwnHost(e); // a new shell: it registered nothing
    for (const args of [["send", "carol", "hi"], ["check"], ["history"], ["whoami"]]) {
      const r = await ipc(fresh, args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("alice, bob");
      expect(r.stderr).toContain("--as NAME");
    }
    // Commands that act as nobody still work.
    expect((await ipc(fresh, ["list"])).code).toBe(0);
    // --as picks, and the output says who acted.
    const sent = await ok(fresh, ["send", "carol", "hi", "--as", "alice"]);
    expect(sent.stdout).toMatch(/^✔ Sent #\d+ to carol as alice \(queued/);
    // This shell registered bob last: it acts as bob, and says so.
    const mine = await ok(e, ["send", "carol", "hello"]);
    expect(mine.stdout).toContain("to carol as bob");
    expect((await ok(e, ["check"])).stdout).toStartWith("(as bob)\n");
    expect((await ok(e, ["broadcast", "all hands"])).stdout).toContain("as bob");
  });

  test("one saved name is used (and named) from any shell; whoami shows the name and why", async () => {
    const e = ipcEnv();
    await using _broker = await startBrokerProcess(e);
    await ok(e, ["register", "alice"]);
    const fresh = underOwnHost(e);
    expect((await ok(fresh, ["send", "carol", "x"])).stdout).toContain("as alice");

    const here = await ok(e, ["whoami"]);
    expect(here.stdout).toContain(`alice — the name last registered from this shell (pid ${process.pid})`);
    expect(here.stdout).toContain("0 unread messages");
    expect(await ipcJson(fresh, ["whoami"])).toMatchObject({ name: "alice", source: "only", unread: 0 });
    expect(await ipcJson(e, ["whoami"], { env: { IPC_NAME: "Carol" } })).toMatchObject({ name: "carol", source: "flag" });
    const none = await ipc(ipcEnv(), ["whoami"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("ipc register NAME");
  });
});

describe("delivery receipts", () => {
  test("send says delivered only when a live reader got it, else queued; the sender sees read_at", async () => {
    const e = ipcEnv();
    await using _broker = await startBrokerProcess(e);
    await ok(e, ["register", "bob"]);
    await ok(e, ["register", "alice"]);

    // Nobody listening: queued, and unread in the sender's history.
    const queued = await ipcJson(e, ["send", "bob", "first", "--as", "alice"]);
    expect(queued.status).toBe("queued");
    const before = await ipcJson(e, ["history", "--as", "alice"]);
    expect(before.messages[0]).toMatchObject({ id: queued.message_id, content: "first" });
    expect(before.messages[0].read_at).toBeUndefined();
    expect((await ok(e, ["history", "--as", "alice"])).stdout).toContain("· unread");

    // Bob reads it: the sender sees when, in history and read (JSON and text).
    await ok(e, ["check", "--as", "bob"]);
    const after = await ipcJson(e, ["history", "--as", "alice"]);
    expect(after.messages[0].read_at).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    expect((await ipcJson(e, ["read", String(queued.message_id), "--as", "alice"])).message.read_at).toBe(after.messages[0].read_at);
    expect((await ok(e, ["history", "--as", "alice"])).stdout).toContain("✓ read ");

    // A waiting check is a live reader: delivered (and read at once).
    const waiting = Bun.spawn([...ipcCommand(), "check", "--wait", "30", "--as", "bob", "--json"], { env: e.env, stdout: "pipe", stderr: "pipe" });
    await using _w = { [Symbol.asyncDispose]: async () => void (waiting.exitCode === null && waiting.kill()) };
    await untilOnline(e, "bob"); // its connection is bound; the held check follows in the same breath
    const sent = await ipcJson(e, ["send", "bob", "second", "--as", "alice"]);
    expect(sent.status).toBe("delivered");
    const got = JSON.parse(await new Response(waiting.stdout).text());
    expect(got.messages).toEqual([expect.objectContaining({ id: sent.message_id, content: "second" })]);
    const read = (await ipcJson(e, ["history", "--as", "alice", "--limit", "1"])).messages[0];
    expect(read.read_at).toBeDefined();
  });

  test("a subscriber (ipc watch --peek) is a live process that has it: notified, and unread until checked", async () => {
    const e = ipcEnv();
    await using _broker = await startBrokerProcess(e);
    await ok(e, ["register", "bob"]);
    await ok(e, ["register", "alice"]);
    const watcher = Bun.spawn([...ipcCommand(), "watch", "--peek", "--as", "bob", "--json"], { env: e.env, stdout: "pipe", stderr: "pipe" });
    await using _w = { [Symbol.asyncDispose]: async () => void (watcher.exitCode === null && watcher.kill()) };
    await untilOnline(e, "bob");
    const r = await ipcJson(e, ["send", "bob", "ping", "--as", "alice"]);
    expect(r.status).toBe("notified");
    const mine = await ipcJson(e, ["history", "--as", "alice", "--limit", "1"]);
    expect(mine.messages[0]).toMatchObject({ id: r.message_id });
    expect(mine.messages[0].read_at).toBeUndefined();
    // the same word for a person
    const human = await ok(e, ["send", "bob", "pong", "--as", "alice"]);
    expect(human.stdout).toContain("(notified: a live session of theirs has it; their model sees it at its next turn)");
  });
});

test("a register without a seat (an older client) gets the same refusal as CONFLICT, a code it knows", async () => {
  await using b = await testBroker();
  const holder = new Agent(b.config);
  await holder.register("fred");
  using _h = { [Symbol.dispose]: () => holder.close() };
  // An older client: the real connection code, but a register frame without the seat field.
  const old = await connectBroker(b.config, false);
  using _o = { [Symbol.dispose]: () => old.client.close() };
  const refused = await old.client.request("register", { name: "fred" }).catch((err: IpcError) => err);
  expect(refused).toBeInstanceOf(IpcError);
  expect((refused as IpcError).code).toBe("CONFLICT");
  expect((refused as IpcError).message).toContain("fred is held by another live session");
  const withSeat = await old.client.request("register", { name: "fred", seat: { host: "cli", pid: 2 ** 31 } }).catch((err: IpcError) => err);
  expect((withSeat as IpcError).code).toBe("NAME_TAKEN");
});
