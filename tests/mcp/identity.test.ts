/**
 * Identity that survives: a host respawning `ipc mcp` (same parent process,
 * same IPC_HOME), a broker killed between two calls, an expired session.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { type IpcEnv, ipc, ipcCommand, ipcEnv, ipcJson, startBrokerProcess } from "../helpers/processes.ts";
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
});
