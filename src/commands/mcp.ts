/** `ipc mcp [--as NAME]`: the stdio MCP server that AI hosts launch (src/mcp/). */
import { defineCommand } from "citty";
import { brokerArgs, configFrom } from "../cli/args.ts";

export default defineCommand({
  meta: { name: "mcp", description: "Run the stdio MCP server that AI hosts launch (stdout carries MCP frames only)" },
  args: {
    as: { type: "string", description: "register as this name at start (env IPC_NAME)", valueHint: "name" },
    seat: {
      type: "string",
      description: "without --as: register <seat>-<project> (or -2, -3… when another live session has it); env IPC_SEAT",
      valueHint: "host",
    },
    takeover: { type: "boolean", description: "take the --as name even though another live session holds it" },
    home: brokerArgs.home,
    host: brokerArgs.host,
    port: brokerArgs.port,
    spawn: { ...brokerArgs.spawn, negativeDescription: "never start a broker; tools report it while none answers (env IPC_NO_SPAWN)" },
  },
  async run({ args }) {
    const config = configFrom(args, { seat: args.seat, takeover: args.takeover });
    // Loaded here, not at the top: only `ipc mcp` pays for the MCP SDK.
    const { serveStdio } = await import("../mcp/stdio.ts");
    await serveStdio(config);
  },
});
