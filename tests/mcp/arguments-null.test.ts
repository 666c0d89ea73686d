/**
 * tools/call whose `arguments` is null, a string or an array (issue 10 hole
 * 10f): an isError result the model can read, not a JSON-RPC error.
 */
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, test } from "bun:test";
import { ipcEnv } from "../helpers/processes.ts";
import { startMcp, stopBroker } from "./_mcp.ts";

describe("tools/call with arguments that are not an object", () => {
  test("null, a string and an array are isError results naming the problem; the server keeps serving", async () => {
    const e = ipcEnv();
    try {
      await using s = await startMcp(e, { name: "caller" });
      for (const [args, got] of [[null, "null"], ["to=fred", "a string"], [["fred", "hi"], "an array"]] as const) {
        for (const name of ["send", "check", "list_instances"]) {
          const r = await s.client.request({ method: "tools/call", params: { name, arguments: args as never } }, CallToolResultSchema);
          expect(r.isError, `${name} ${JSON.stringify(args)}`).toBe(true);
          const text = (r.content as Array<{ text: string }>)[0]!.text;
          expect(text).toContain(`${name}: "arguments" must be an object of named arguments, got ${got}. Example: `);
        }
      }
      // No arguments at all is still fine where nothing is required, and the server still answers.
      const ok = await s.client.request({ method: "tools/call", params: { name: "list_instances" } }, CallToolResultSchema);
      expect(ok.isError).toBeFalsy();
      expect((await s.call("send", { to: "caller", content: "still here" })).isError).toBe(false);
    } finally {
      await stopBroker(e);
    }
  }, 30_000);
});
