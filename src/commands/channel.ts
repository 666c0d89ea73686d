/** `ipc channel join|leave|members '#name'`, `ipc channel list`: channels (docs/coordination.md). */
import { defineCommand } from "citty";
import { actingAgent } from "../cli/agent.ts";
import { brokerArgs, configFrom, identityArgs } from "../cli/args.ts";
import { usageError } from "../cli/errors.ts";
import { emit } from "../cli/output.ts";
import { formatChannels } from "../cli/channels-text.ts";

const ACTIONS = ["join", "leave", "list", "members"] as const;

export default defineCommand({
  meta: { name: "channel", description: "Channels: ipc channel join|leave|members '#name', ipc channel list; post with ipc send '#name' …" },
  args: {
    action: { type: "positional", required: true, description: "join, leave, list or members" },
    channel: { type: "positional", required: false, description: "the channel, e.g. '#backend' (quote the #)" },
    ...identityArgs,
    ...brokerArgs,
  },
  async run({ args }) {
    const config = configFrom(args);
    const action = args.action as (typeof ACTIONS)[number];
    if (!ACTIONS.includes(action)) throw usageError(`unknown action "${args.action}": join, leave, list or members`);
    if (action !== "list" && args.channel === undefined) throw usageError(`ipc channel ${action} needs a channel, e.g. ipc channel ${action} '#backend'`);
    const channel = args.channel === undefined ? undefined : args.channel.startsWith("#") ? args.channel : `#${args.channel}`;
    const { agent } = actingAgent(config);
    const r = await agent.call("channel", { action, ...(channel !== undefined && action !== "list" && { channel }) });
    emit(config, () => formatChannels(r.channels, "No channels yet: ipc channel join '#name' starts one."), r);
  },
});
