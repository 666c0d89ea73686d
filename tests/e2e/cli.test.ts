/** The real `ipc` CLI against real broker processes: the README walkthrough and its neighbours. */
import { describe, expect, test } from "bun:test";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { ipc, ipcEnv, ipcJson, startBrokerProcess } from "../helpers/processes.ts";

describe("ipc CLI end to end", () => {
  test("register → send → check between two identities (broker started automatically, then stopped)", async () => {
    const e = ipcEnv();
    expect((await ipc(e, ["register", "fred"])).stdout).toContain("Registered fred");
    expect((await ipc(e, ["register", "barney"])).code).toBe(0);
    const sent = await ipcJson(e, ["send", "barney", "Hey", "Barney,", "lunch?", "--as", "fred"]);
    expect(sent).toMatchObject({ to: "barney", status: "queued" });
    const human = await ipc(e, ["check", "--as", "barney"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("fred → barney");
    expect(human.stdout).toContain("Hey Barney, lunch?");
    expect((await ipcJson(e, ["check", "--as", "barney"])).messages).toEqual([]);
    // The auto-started broker outlived the commands; files are private.
    const status = await ipcJson(e, ["status"]);
    expect(status.counts).toMatchObject({ instances: 2, messages: 1 });
    expect(statSync(e.home).mode & 0o777).toBe(0o700);
    expect(statSync(join(e.home, "ipc.db")).mode & 0o777).toBe(0o600);
    expect(statSync(join(e.home, "sessions", "fred.json")).mode & 0o777).toBe(0o600);
    const stop = await ipc(e, ["stop"]);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toContain("Broker stopped");
    expect((await ipc(e, ["status"])).code).toBe(3);
  });

  test("an option the command does not have is a usage error; words after -- are message text", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await ipc(e, ["register", "opt"]);
    const dropped = await ipc(e, ["send", "opt", "run", "it", "with", "--force", "--as", "opt"]);
    expect(dropped.code).toBe(2);
    expect(dropped.stderr).toContain("unknown option --force for ipc send");
    expect(dropped.stderr).toContain("put them after --");
    expect((await ipc(e, ["send", "opt", "-1", "is", "the", "answer"])).code).toBe(2);
    expect((await ipc(e, ["list", "--bogus"])).code).toBe(2);
    expect((await ipcJson(e, ["check", "--as", "opt"])).messages).toEqual([]); // nothing was sent
    expect((await ipc(e, ["send", "opt", "--as", "opt", "--", "run", "it", "with", "--force", "-1"])).code).toBe(0);
    expect((await ipcJson(e, ["check", "--as", "opt"])).messages[0].content).toBe("run it with --force -1");
    // Content under the 1 MiB limit that JSON-escapes past the 4 MiB frame limit: a clear error before sending.
    const escaped = await ipc(e, ["send", "opt", "-", "--as", "opt"], { stdin: "\u0001".repeat(1_000_000) });
    expect(escaped.code).toBe(1);
    expect(escaped.stderr).toContain("once encoded as JSON, over the broker's 4194304-byte frame limit");
    // An empty message is a usage error, from arguments or stdin.
    expect((await ipc(e, ["send", "opt", "", "--as", "opt"])).code).toBe(2);
    expect((await ipc(e, ["send", "opt", "-", "--as", "opt"], { stdin: "" })).stderr).toContain("stdin was empty");
    // With --json, errors come on stdout too, in the protocol's shape.
    const jsonErr = await ipc(e, ["list", "--bogus", "--json"]);
    expect(jsonErr.code).toBe(2);
    expect(JSON.parse(jsonErr.stdout)).toMatchObject({ ok: false, error: { code: "BAD_REQUEST", message: expect.stringContaining("--bogus") } });
    const badName = await ipc(e, ["send", "not a name!", "hi", "--as", "opt", "--json"]);
    expect(JSON.parse(badName.stdout)).toMatchObject({ ok: false, error: { code: "INVALID_NAME" } });
    // Global flags and no command: the usage, not "Unknown command".
    const bare = await ipc(e, ["--as", "opt"]);
    expect(bare.code).toBe(0);
    expect(bare.stdout + bare.stderr).not.toContain("Unknown command");
    // The flags every command takes are accepted everywhere.
    expect((await ipc(e, ["status", "--no-spawn", "--as", "opt"])).code).toBe(0);
  });

  test("check --wait when the broker is stopped under it: exit 3 and says so (not an empty timeout)", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await ipc(e, ["register", "waiter"]);
    const waiting = ipc(e, ["check", "--wait", "20", "--as", "waiter"]);
    await Bun.sleep(500);
    expect((await ipc(e, ["stop"])).code).toBe(0);
    const r = await waiting;
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("the broker stopped while this check was waiting");
  });

  test("stdin, --data and --reply-to", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await ipc(e, ["register", "a"]);
    await ipc(e, ["register", "b"]);
    const first = await ipcJson(e, ["send", "b", "-", "--as", "a", "--data", '{"pr":7}'], { stdin: "line one\nline two\n" });
    await ipcJson(e, ["send", "a", "ok", "--as", "b", "--reply-to", String(first.message_id)]);
    const b = await ipcJson(e, ["check", "--as", "b"]);
    expect(b.messages[0]).toMatchObject({ content: "line one\nline two\n", data: { pr: 7 } });
    const a = await ipcJson(e, ["check", "--as", "a"]);
    expect(a.messages[0]).toMatchObject({ content: "ok", reply_to: first.message_id });
    const bad = await ipc(e, ["send", "b", "x", "--as", "a", "--data", "[1]"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--data must be a JSON object");
  });

  test("future messages: send to an unregistered name, register it, receive", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await ipc(e, ["register", "barney"]);
    expect(await ipcJson(e, ["send", "nessa", "Welcome", "to", "the", "team!", "--as", "barney"])).toMatchObject({ status: "future" });
    expect(await ipcJson(e, ["register", "nessa"])).toMatchObject({ name: "nessa", queued: 1 });
    const inbox = await ipcJson(e, ["check", "--as", "nessa"]);
    expect(inbox.messages[0]).toMatchObject({ from: "barney", content: "Welcome to the team!" });
  });

  test("messages survive a broker restart (stop, start, check)", async () => {
    const e = ipcEnv();
    {
      await using b = await startBrokerProcess(e);
      await ipc(e, ["register", "a"]);
      await ipc(e, ["register", "b"]);
      for (let i = 0; i < 5; i++) await ipc(e, ["send", "b", `message ${i}`, "--as", "a"]);
      expect(await b.stop()).toBe(0);
    }
    expect(existsSync(join(e.home, "broker.lock"))).toBe(false);
    await using _b2 = await startBrokerProcess(e);
    const inbox = await ipcJson(e, ["check", "--as", "b"]);
    expect(inbox.messages.map((m: any) => m.content)).toEqual([0, 1, 2, 3, 4].map((i) => `message ${i}`));
  });

  test("check --wait: a message sent during the wait arrives well before the wait ends", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await ipc(e, ["register", "r"]);
    await ipc(e, ["register", "s"]);
    const t0 = performance.now();
    const waiting = ipcJson(e, ["check", "--wait", "30", "--as", "r"]);
    await Bun.sleep(400);
    const sent = await ipcJson(e, ["send", "r", "ping", "--as", "s"]);
    const got = await waiting;
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(got.messages[0].content).toBe("ping");
    expect(["delivered", "queued"]).toContain(sent.status);
    const empty0 = performance.now();
    expect((await ipcJson(e, ["check", "--wait", "1", "--as", "r"])).messages).toEqual([]);
    expect(performance.now() - empty0).toBeGreaterThanOrEqual(950);
  });

  test("output of several MiB reaches a pipe whole before the CLI exits", async () => {
    const e = ipcEnv({ IPC_LARGE_MESSAGE_BYTES: String(8 * 1024 * 1024) });
    await using _b = await startBrokerProcess(e);
    await ipc(e, ["register", "big"]);
    const chunk = "x".repeat(900 * 1024);
    for (let i = 0; i < 4; i++) expect((await ipc(e, ["send", "big", "-", "--as", "big"], { stdin: chunk })).code).toBe(0);
    const human = await ipc(e, ["check", "--peek", "--as", "big"]);
    expect(human.stdout.length).toBeGreaterThan(4 * 900 * 1024);
    const json = await ipcJson(e, ["check", "--as", "big"]);
    expect(json.messages.map((m: any) => m.content.length)).toEqual([chunk.length, chunk.length, chunk.length, chunk.length]);
  });

  test("watch prints unread mail, then each new message as it arrives, across a broker restart", async () => {
    const e = ipcEnv();
    await ipc(e, ["register", "w"]);
    await ipc(e, ["register", "s"]);
    await ipc(e, ["send", "w", "waiting already", "--as", "s"]);
    const { ipcCommand } = await import("../helpers/processes.ts");
    const watch = Bun.spawn([...ipcCommand(), "watch", "--as", "w", "--json"], { env: e.env, stdout: "pipe", stderr: "pipe" });
    const reader = watch.stdout.getReader();
    let text = "";
    const lines = async (n: number) => {
      while (text.split("\n").filter(Boolean).length < n) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      return text.split("\n").filter(Boolean).map((l) => JSON.parse(l));
    };
    expect((await lines(1))[0].content).toBe("waiting already");
    await ipc(e, ["send", "w", "pushed one", "--as", "s"]);
    await ipc(e, ["send", "w", "pushed two", "--as", "s"]);
    const got = await lines(3);
    expect(got.map((m) => m.content)).toEqual(["waiting already", "pushed one", "pushed two"]);
    // The broker goes away and a message arrives before watch is back: it is shown once watch reconnects.
    expect((await ipc(e, ["stop"])).code).toBe(0);
    await ipc(e, ["send", "w", "sent while watch was away", "--as", "s"]);
    expect((await lines(4)).map((m) => m.content).at(-1)).toBe("sent while watch was away");
    watch.kill("SIGINT");
    expect(await watch.exited).toBe(0);
    // Watching consumed them.
    expect((await ipcJson(e, ["check", "--as", "w"])).messages).toEqual([]);
    expect((await ipc(e, ["stop"])).code).toBe(0);
  });

  test("list shows who is registered", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await ipc(e, ["register", "fred"]);
    await ipc(e, ["register", "wilma"]);
    await ipc(e, ["send", "wilma", "hi", "--as", "fred"]);
    const human = await ipc(e, ["list"]);
    expect(human.stdout).toMatch(/fred/);
    expect(human.stdout).toMatch(/^. wilma +1  /m); // the UNREAD column
    const { instances } = await ipcJson(e, ["list"]);
    expect(instances.map((i: any) => i.name)).toEqual(["fred", "wilma"]);
  });

  test("exit codes: 2 for usage (an invalid name too), 3 for no broker with --no-spawn, 1 for refusals", async () => {
    const e = ipcEnv();
    const usage = await ipc(e, ["send"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("Missing required positional argument: TO");
    const none = await ipc(e, ["list", "--no-spawn"]);
    expect(none.code).toBe(3);
    expect(none.stderr).toContain("no broker on 127.0.0.1");
    expect((await ipc(e, ["list"], { env: { IPC_NO_SPAWN: "1" } })).code).toBe(3);
    await using _b = await startBrokerProcess(e);
    const bad = await ipc(e, ["register", "no spaces allowed"]);
    expect(bad.code).toBe(2); // a usage error (README: exit codes), with the protocol's code
    expect(bad.stderr).toContain("INVALID_NAME");
    const unregistered = await ipc(e, ["check", "--as", "ghost"]);
    expect(unregistered.code).toBe(1);
    expect(unregistered.stderr).toContain("ipc register ghost");
  });

  test("wrong or missing shared secret is refused (without this IPC_HOME's key); the right one works", async () => {
    const e = ipcEnv({ IPC_SHARED_SECRET: "team-secret" });
    await using _b = await startBrokerProcess(e);
    // Another IPC_HOME has neither the key nor the secret.
    const elsewhere = { ...ipcEnv({ IPC_PORT: String(e.port), IPC_SOCKET: "off" }), port: e.port };
    const missing = await ipc(elsewhere, ["register", "fred"]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain("is not this IPC_HOME's broker");
    const wrong = await ipc(e, ["register", "fred"], { env: { IPC_SHARED_SECRET: "guess" } });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toContain("did not prove IPC_SHARED_SECRET");
    expect((await ipc(e, ["register", "fred"])).code).toBe(0);
    expect((await ipc(elsewhere, ["register", "wilma"], { env: { IPC_SHARED_SECRET: "team-secret" } })).code).toBe(0);
    // The broker's own user proves the key without the secret.
    expect((await ipc(e, ["register", "barney"], { env: { IPC_SHARED_SECRET: "" } })).code).toBe(0);
  });

  test("two ipc serve started at once: exactly one broker runs", async () => {
    const e = ipcEnv();
    const { ipcCommand } = await import("../helpers/processes.ts");
    const procs = [0, 1].map(() =>
      Bun.spawn([...ipcCommand(), "serve"], { env: e.env, stdout: "pipe", stderr: "pipe" }),
    );
    const first = await Promise.race(procs.map((p, i) => p.exited.then((code) => ({ i, code }))));
    expect(first.code).toBe(0);
    const loser = procs[first.i]!;
    const winner = procs[1 - first.i]!;
    expect(await new Response(loser.stderr).text()).toContain("already running");
    expect(winner.exitCode).toBeNull();
    const s = await ipcJson(e, ["status", "--no-spawn"]);
    expect(s.pid).toBe(winner.pid);
    winner.kill("SIGTERM");
    expect(await winner.exited).toBe(0);
  });
});
