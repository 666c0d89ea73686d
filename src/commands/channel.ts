/** `ipc channel join|leave|members '#name'`, `ipc channel list`: channels (docs/coordination.md). */
import { defineCommand } from "citty";
import { actingAgent } from "../cli/agent.ts";
import { brokerArgs, configFrom, identityArgs } from "../cli/args.ts";
import { usageError } from "../cli/errors.ts";
import { emit, errOut, palette } from "../cli/output.ts";
import { formatChannels } from "../cli/channels-text.ts";
import { savedNames } from "../client/session-store.ts";
import type { Config } from "../config.ts";
import { EXIT, IpcError } from "../protocol/errors.ts";

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
    const { agent } = listingAgent(config, action);
    const r = await agent.call("channel", { action, ...(channel !== undefined && action !== "list" && { channel }) });
    emit(config, () => formatChannels(r.channels, "No channels yet: ipc channel join '#name' starts one."), r);
  },
});

/**
 * The agent a channel action acts through. `list` and `members` only read what
 * any name may see, so where several saved names leave "which one?" open (a new
 * shell) they use the first of them (sorted) and say so on stderr (`joined` is that
 * name's); `join` and `leave` change membership and still need the name said.
 */
function listingAgent(config: Config, action: string): ReturnType<typeof actingAgent> {
  try {
    return actingAgent(config);
  } catch (err) {
    const saved = savedNames(config);
    const ambiguous = err instanceof IpcError && err.exitCode === EXIT.usage && saved.length > 1;
    if (!ambiguous || (action !== "list" && action !== "members")) throw err;
    const name = saved[0]!;
    errOut(palette(config.color).dim(`# as ${name}, one of the ${saved.length} names saved here (--as NAME picks another; "joined" is ${name}'s)\n`));
    return actingAgent({ ...config, name });
  }
}
