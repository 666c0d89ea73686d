/** `ipc://inbox`: subscribe, and `notifications/resources/updated` driven by the broker's push. */
import { afterAll, describe, expect, test } from "bun:test";
import { ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { type IpcEnv, ipcEnv } from "../helpers/processes.ts";
import { type McpProcess, startMcp, stopBroker } from "./_mcp.ts";

/** Collects the URIs of resources/updated notifications `s` receives. */
function updates(s: McpProcess): { uris: string[]; next(timeoutMs?: number): Promise<string> } {
  const uris: string[] = [];
  let wake: (() => void) | null = null;
  s.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    uris.push(n.params.uri);
    wake?.();
  });
  return {
    uris,
    async next(timeoutMs = 5_000) {
      const deadline = performance.now() + timeoutMs;
      while (uris.length === 0) {
        if (performance.now() > deadline) throw new Error("no resources/updated notification");
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
      }
      return uris.shift()!;
    },
  };
}

describe("ipc mcp resources", () => {
  const envs: IpcEnv[] = [];
  afterAll(async () => {
    for (const e of envs) await stopBroker(e);
  });

  test("a subscribed ipc://inbox is updated when mail arrives; reading it leaves mail unread", async () => {
    const e = ipcEnv();
    envs.push(e);
    await using reader = await startMcp(e, { name: "reader" });
    await using writer = await startMcp(e, { name: "writer" });
    await reader.call("list_instances"); // start-up registration done
    const seen = updates(reader);
    await reader.client.subscribeResource({ uri: "ipc://inbox" });
    const empty = await reader.client.readResource({ uri: "ipc://inbox" });
    expect((empty.contents[0] as { text: string }).text).toBe("No unread messages.");

    const t0 = performance.now();
    await writer.call("send", { to: "reader", content: "ping over push" });
    expect(await seen.next()).toBe("ipc://inbox");
    expect(performance.now() - t0).toBeLessThan(2_000);

    const inbox = await reader.client.readResource({ uri: "ipc://inbox" });
    expect((inbox.contents[0] as { text: string }).text).toContain("ping over push");
    expect((await reader.call("check")).text).toContain("ping over push");

    // After unsubscribe, no more updates.
    await reader.client.unsubscribeResource({ uri: "ipc://inbox" });
    await writer.call("send", { to: "reader", content: "quiet" });
    await reader.call("list_instances");
    await Bun.sleep(200);
    expect(seen.uris).toEqual([]);
  });

  test("subscribed before register: updates start once the agent registers, and follow a register of a new name", async () => {
    const e = ipcEnv();
    envs.push(e);
    await using s = await startMcp(e);
    await using writer = await startMcp(e, { name: "writer2" });
    const seen = updates(s);
    await s.client.subscribeResource({ uri: "ipc://inbox" });
    await s.call("register", { name: "late" });
    await writer.call("send", { to: "late", content: "first" });
    expect(await seen.next()).toBe("ipc://inbox");
    await s.call("register", { name: "later" });
    await writer.call("send", { to: "later", content: "second" });
    expect(await seen.next()).toBe("ipc://inbox");
    expect((await s.call("check")).text).toContain("second");
  });

  test("ipc://inbox before register says how to register", async () => {
    const e = ipcEnv();
    envs.push(e);
    await using s = await startMcp(e);
    const r = await s.client.readResource({ uri: "ipc://inbox" });
    expect((r.contents[0] as { text: string }).text).toContain("call register");
    await expect(s.client.readResource({ uri: "ipc://nope" })).rejects.toThrow("no resource ipc://nope");
  });
});
