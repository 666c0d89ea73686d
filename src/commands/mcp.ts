/** `ipc mcp`: the stdio MCP server (placeholder until the MCP issue lands). */
import { defineCommand } from "citty";
import { IpcError } from "../protocol/errors.ts";

export default defineCommand({
  meta: { name: "mcp", description: "Run the stdio MCP server that AI hosts launch" },
  args: { as: { type: "string", description: "register as this name at start (env IPC_NAME)" } },
  run() {
    throw new IpcError("INTERNAL", "ipc mcp is not built yet");
  },
});
