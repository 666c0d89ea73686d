/** `ipc search QUERY`: full-text search of messages you sent or received. */
import { defineCommand } from "citty";
import { actingAgent, asHeader, parseId } from "../cli/agent.ts";
import { brokerArgs, configFrom, identityArgs } from "../cli/args.ts";
import { emit, formatMessages } from "../cli/output.ts";

export default defineCommand({
  meta: { name: "search", description: "Search messages you sent or received (every word must match)" },
  args: {
    query: { type: "positional", description: "words to find" },
    limit: { type: "string", description: "at most this many (default 20)", valueHint: "n" },
    ...identityArgs,
    ...brokerArgs,
  },
  async run({ args }) {
    const config = configFrom(args);
    const { agent } = actingAgent(config);
    const limit = parseId(args.limit, "--limit");
    const r = await agent.call("search", { query: args._.join(" "), ...(limit !== undefined && { limit }) });
    emit(config, () => asHeader(agent, config.color) + formatMessages(r.messages, config.color, "No matches."), r);
  },
});
