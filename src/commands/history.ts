/** `ipc history [NAME|#CHANNEL] [--with NAME]`: messages you sent or received, or a channel's posts, newest first. */
import { defineCommand } from "citty";
import { actingAgent, asHeader, parseId } from "../cli/agent.ts";
import { brokerArgs, configFrom, identityArgs } from "../cli/args.ts";
import { emit, formatMessages } from "../cli/output.ts";

export default defineCommand({
  meta: { name: "history", description: "Messages you sent or received, newest first" },
  args: {
    conversation: { type: "positional", required: false, description: "only the conversation with this name, or a channel's posts ('#backend')" },
    with: { type: "string", description: "only the conversation with this name", valueHint: "name" },
    limit: { type: "string", description: "at most this many (default 50)", valueHint: "n" },
    before: { type: "string", description: "only messages older than this id (paging)", valueHint: "id" },
    ...identityArgs,
    ...brokerArgs,
  },
  async run({ args }) {
    const config = configFrom(args);
    const { agent } = actingAgent(config);
    const limit = parseId(args.limit, "--limit");
    const before = parseId(args.before, "--before");
    const withWho = args.conversation ?? args.with;
    const r = await agent.call("history", {
      ...(withWho !== undefined && { with: withWho }),
      ...(limit !== undefined && { limit }),
      ...(before !== undefined && { before }),
    });
    emit(config, () => asHeader(agent, config.color) + formatMessages(r.messages, config.color, "No messages yet.", agent.name), r);
  },
});
