/**
 * Identity that survives: a host respawning `ipc mcp` (same parent process,
 * same IPC_HOME), a broker killed between two calls, an expired session.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { type IpcEnv, ipc, ipcCommand, ipcEnv, ipcJson, startBrokerProcess } from "../helpers/processes.ts";
import { isAlive } from "../../src/broker/edge/lock.ts";
import { startMcp, stopBroker } from "./_mcp.ts";

describe("ipc mcp identity", () => {
  const envs: IpcEnv[] = [];
  afterAll(async () => {
    for (const e of envs) await stopBroker(e);
  });
  const env = (extra: Record<string, string> = {}) => {
    const e = ipcEnv(extra);
    envs.push(e);
    return e;
  };

  test("respawn under the same parent: still the same agent, without calling register", async () => {
    const e = env();
    const first = await startMcp(e);
    expect((await first.call("register", { name: "fred" })).text).toContain("Registered as fred");
    const file = join(e.home, "mcp-parents", `${process.pid}.json`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({ name: "fred", token: expect.any(String) });
    await first.kill();

    await using second = await startMcp(e);
    expect((await second.call("list_instances")).text).toContain("fred (you)");
    expect((await second.call("send", { to: "barney", content: "I'm back" })).isError).toBe(false);
    await ipc(e, ["register", "barney"]);
    const inbox = await ipcJson(e, ["check", "--as", "barney"]);
    expect(inbox.messages).toEqual([expect.objectContaining({ from: "fred", content: "I'm back" })]);
  });

  test("respawn keeps a renamed identity even with IPC_NAME set to the original name", async () => {
    const e = env();
    const first = await startMcp(e, { name: "wilma" });
    expect((await first.call("rename", { new_name: "wilma-2" })).isError).toBe(false);
    await first.kill();
    await using second = await startMcp(e, { name: "wilma" });
    expect((await second.call("list_instances")).text).toContain("wilma-2 (you)");
  });

  test("another host process (another parent) does not inherit the identity", async () => {
    const e = env();
    const first = await startMcp(e);
    await first.call("register", { name: "pebbles" });
    await first.kill();
    // Through a shell that stays in between, the server's parent is the shell, not this test process.
    const cmd = [...ipcCommand(), "mcp"].map((a) => `'${a}'`).join(" ");
    await using other = await startMcp(e, { cmd: ["sh", "-c", `${cmd}; exit $?`], args: [] });
    expect((await other.call("check")).text).toContain("not registered yet");
  });

  test("broker killed between two tool calls: the next call succeeds (the broker is restarted)", async () => {
    const e = env();
    const broker = await startBrokerProcess(e);
    await using s = await startMcp(e, { name: "kim" });
    await ipc(e, ["register", "lee"]);
    expect((await s.call("send", { to: "lee", content: "before" })).isError).toBe(false);
    await broker.kill();
    const after = await s.call("send", { to: "lee", content: "after" });
    expect(after).toMatchObject({ isError: false, text: expect.stringContaining("Sent message") });
    const inbox = await ipcJson(e, ["check", "--as", "lee"]);
    expect(inbox.messages.map((m: { content: string }) => m.content)).toEqual(["before", "after"]);
    expect((await ipcJson(e, ["status"])).pid).not.toBe(broker.proc.pid);
  });

  test("an expired session is replaced invisibly, and push keeps working", async () => {
    const e = env({ IPC_SESSION_HOURS: String(1 / 3600) }); // sessions expire after 1 s idle
    await using _broker = await startBrokerProcess(e);
    await using s = await startMcp(e, { name: "sleepy" });
    await s.call("list_instances");
    const file = join(e.home, "mcp-parents", `${process.pid}.json`);
    const before = JSON.parse(readFileSync(file, "utf8")).token;
    await Bun.sleep(1_500);
    const r = await s.call("check");
    expect(r).toMatchObject({ isError: false, text: "No new messages." });
    expect(JSON.parse(readFileSync(file, "utf8")).token).not.toBe(before);
    // The re-registered session is subscribed again: a send wakes subscribers of ipc://inbox.
    await s.client.subscribeResource({ uri: "ipc://inbox" });
    const updated = new Promise<string>((resolve) =>
      s.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => resolve(n.params.uri)),
    );
    await ipc(e, ["register", "poker"]);
    await ipc(e, ["send", "sleepy", "wake up", "--as", "poker"]);
    expect(await updated).toBe("ipc://inbox");
  });

  test("a second server under the same host (still running) does not take over the first one's name", async () => {
    const e = env();
    await using first = await startMcp(e, { name: "alice" });
    expect((await first.call("list_instances")).text).toContain("alice (you)");
    await using second = await startMcp(e);
    expect((await second.call("check")).text).toContain("not registered yet");
    expect((await first.call("list_instances")).text).toContain("alice (you)");
  });

  const node = Bun.which("node");
  test.skipIf(node === null || process.platform === "win32")("installed from npm (node launcher in between): a respawn is still the same agent", async () => {
    const e = env();
    const launcher = [node!, join(import.meta.dir, "../../bin/ipc.js")];
    const first = await startMcp(e, { cmd: launcher });
    expect((await first.call("register", { name: "npmfred" })).text).toContain("Registered as npmfred");
    // Keyed on this test process (the host), not on the launcher between us and the server.
    const saved = JSON.parse(readFileSync(join(e.home, "mcp-parents", `${process.pid}.json`), "utf8"));
    expect(saved.name).toBe("npmfred");
    await first.kill(); // the launcher; the server under it ends at stdin EOF
    while (isAlive(saved.pid)) await Bun.sleep(10);
    await using second = await startMcp(e, { cmd: launcher });
    expect((await second.call("list_instances")).text).toContain("npmfred (you)");
  });

  test("`ipc stop` stays stopped while an MCP server is subscribed; the next tool call starts a broker", async () => {
    const e = env();
    await using s = await startMcp(e, { name: "stopper" });
    expect((await s.call("list_instances")).text).toContain("stopper (you)");
    await s.client.subscribeResource({ uri: "ipc://inbox" });
    expect((await ipc(e, ["stop"])).code).toBe(0);
    await Bun.sleep(1_500);
    expect((await ipc(e, ["status", "--no-spawn"])).code).toBe(3);
    expect((await s.call("list_instances")).text).toContain("stopper (you)");
    expect((await ipc(e, ["status", "--no-spawn"])).code).toBe(0);
  }, 20_000);

  test("check with wait across a broker restart returns within its wait, not the wait twice", async () => {
    const e = env();
    const broker = await startBrokerProcess(e);
    await using s = await startMcp(e, { name: "patient" });
    await s.call("list_instances");
    const t0 = performance.now();
    const waiting = s.call("check", { wait: 4 });
    await Bun.sleep(1_000);
    await broker.kill();
    const r = await waiting;
    const elapsed = performance.now() - t0;
    expect(r.text).toContain("No new messages after waiting 4 s");
    expect(elapsed).toBeLessThan(6_500); // ~4 s, not 1 s + 4 s again
  }, 20_000);
});
