/** `ipc rename NEW_NAME`: rename yourself; the old name forwards to the new one for 2 hours. */
import { defineCommand } from "citty";
import { actingAgent } from "../cli/agent.ts";
import { brokerArgs, configFrom, identityArgs } from "../cli/args.ts";
import { emit, palette } from "../cli/output.ts";
import { recordRename, saveSession } from "../client/session-store.ts";

export default defineCommand({
  meta: { name: "rename", description: "Rename yourself (once per hour); your old name forwards to the new one for 2 hours" },
  args: { new_name: { type: "positional", required: true, description: "the new name" }, ...identityArgs, ...brokerArgs },
  async run({ args }) {
    const config = configFrom(args);
    const { agent } = actingAgent(config);
    const r = await agent.call("rename", { new_name: args.new_name });
    const token = agent.sessionToken;
    if (token !== null) {
      saveSession(config, r.new, token);
      recordRename(config, r.old, r.new);
    }
    const p = palette(config.color);
    const stale = process.env.IPC_NAME !== undefined && process.env.IPC_NAME.toLowerCase() === r.old;
    emit(
      config,
      () =>
        `${p.green("✔")} Renamed ${r.old} to ${p.bold(r.new)}; messages to ${r.old} are forwarded for 2 hours` +
        (stale ? `\nIPC_NAME is still ${process.env.IPC_NAME}: set it to the new name (export IPC_NAME=${r.new})` : ""),
      r,
    );
  },
});
