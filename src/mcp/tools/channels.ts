/** channels: join, leave, list channels or show a channel's members (docs/coordination.md). Posting is send to "#name". */
import * as v from "valibot";
import { Channel } from "../../protocol/channels.ts";
import { IpcError } from "../../protocol/errors.ts";
import { formatChannels } from "../../cli/channels-text.ts";
import { defineTool } from "./_tool.ts";

export const ChannelsInput = v.object({
  action: v.pipe(v.picklist(["join", "leave", "list", "members"], 'action is "join", "leave", "list" or "members"'), v.description("join, leave, list, or members")),
  channel: v.optional(v.pipe(Channel, v.description('e.g. "#backend"'))),
});

export default defineTool({
  name: "channels",
  title: "Channels",
  description: 'Join or leave a channel, list channels, or show its members. Post with send to "#backend"; members get posts like mail.',
  input: ChannelsInput,
  example: '{"action": "join", "channel": "#backend"}',
  hints: { openWorldHint: false },
  async run({ action, channel }, { agent }) {
    if (action !== "list" && channel === undefined) throw new IpcError("BAD_REQUEST", `${action} needs a channel, e.g. {"action": "${action}", "channel": "#backend"}`);
    const r = await agent.call("channel", { action, ...(channel !== undefined && action !== "list" && { channel }) });
    return formatChannels(r.channels, 'No channels yet: {"action": "join", "channel": "#name"} starts one.');
  },
});
