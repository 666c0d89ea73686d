/** `ipc whoami`: the name commands here act as, why, and (when a broker answers) its unread count. */
import { defineCommand } from "citty";
import { actingAgent } from "../cli/agent.ts";
import { brokerArgs, configFrom, identityArgs } from "../cli/args.ts";
import { emit, palette } from "../cli/output.ts";
import { IpcError } from "../protocol/errors.ts";

export default defineCommand({
  meta: { name: "whoami", description: "Show the name commands act as here, and why (--as, IPC_NAME, the host's MCP session, this shell)" },
  args: { ...identityArgs, ...brokerArgs },
  async run({ args }) {
    const config = configFrom(args, { spawn: false });
    const { agent, as } = actingAgent(config);
    if (as === null) {
      throw new IpcError("UNAUTHENTICATED", "no name to act as here: run `ipc register NAME`, or pass --as NAME / set IPC_NAME", 1);
    }
    // Best effort, never starting a broker: is the session valid, how much mail waits?
    let unread: number | null = null;
    let problem: string | null = null;
    try {
      unread = (await agent.call("whoami", {})).unread;
    } catch (err) {
      problem = err instanceof IpcError ? err.message : String(err);
    } finally {
      agent.close();
    }
    const p = palette(config.color);
    emit(
      config,
      () =>
        `${p.bold(as.name)} — ${as.why}` +
        (unread !== null ? `\n${unread} unread message${unread === 1 ? "" : "s"}` : `\n${p.yellow(`not confirmed by the broker: ${problem}`)}`),
      { name: as.name, source: as.source, why: as.why, unread },
    );
  },
});
