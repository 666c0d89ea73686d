/** share_file, share_command and auto_check through `ipc mcp` (the domain modules are src/share, src/auto-check). */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type IpcEnv, ipcEnv, ipcJson } from "../helpers/processes.ts";
import { startMcp, stopBroker } from "./_mcp.ts";

describe("ipc mcp sharing and auto-check", () => {
  const envs: IpcEnv[] = [];
  afterAll(async () => {
    for (const e of envs) await stopBroker(e);
  });

  test("share_file and share_command arrive with their data; bad input is an isError result", async () => {
    const e = ipcEnv();
    envs.push(e);
    await using a = await startMcp(e, { name: "sharer" });
    await using b = await startMcp(e, { name: "receiver" });
    await b.call("list_instances");
    const dir = mkdtempSync(join(tmpdir(), "ipc-share-"));
    const file = join(dir, "notes.txt");
    writeFileSync(file, "line one\nline two\n");

    expect((await a.call("share_file", { to: "receiver", path: file, description: "my notes" })).text).toContain(`Shared ${file} with receiver`);
    expect((await a.call("share_file", { to_id: "receiver", filepath: file })).isError).toBe(false);
    expect((await a.call("share_command", { to: "receiver", command: "echo 'hello   world' $HOME" })).text).toContain("Ran echo (exited with 0)");
    expect((await a.call("share_command", { to: "receiver", argv: ["sh", "-c", "exit 3"] })).text).toContain("exited with 3");

    const { messages } = await ipcJson(e, ["check", "--as", "receiver"]);
    expect(messages).toHaveLength(4);
    expect(messages[0]).toMatchObject({ content: `Shared file: ${file}`, data: { type: "file", filepath: file, content: "line one\nline two\n", description: "my notes" } });
    expect(messages[2].data).toMatchObject({ type: "command", stdout: "hello   world $HOME\n", returncode: 0 });
    expect(messages[3].data).toMatchObject({ type: "command", returncode: 3 });

    const missing = await a.call("share_file", { to: "receiver", path: join(dir, "nope.txt") });
    expect(missing).toMatchObject({ isError: true, text: expect.stringContaining("no such file") });
    expect((await a.call("share_file", { to: "receiver", path: dir })).text).toContain("directory");
    expect((await a.call("share_command", { to: "receiver", command: "   " })).isError).toBe(true);
  });

  test("auto_check start 5 / status / stop", async () => {
    const e = ipcEnv();
    envs.push(e);
    await using a = await startMcp(e, { name: "auto" });
    expect((await a.call("auto_check", { action: "status" })).text).toContain("Auto-check is off for auto");
    expect((await a.call("auto_check", { action: "start", minutes: 5 })).text).toContain("Auto-check is on for auto: every 5 min");
    expect((await a.call("auto_check", { action: "status" })).text).toContain("every 5 min");
    expect((await a.call("auto_check", { action: "start", minutes: 61 })).isError).toBe(true);
    expect((await a.call("auto_check", { action: "stop" })).text).toContain("Auto-check is off for auto");
  });
});
