/** `ipc read ID`: one whole message (the full text of a large message). */
import { defineCommand } from "citty";
import { actingAgent, asHeader, parseId } from "../cli/agent.ts";
import { brokerArgs, configFrom, identityArgs } from "../cli/args.ts";
import { emit, formatMessage } from "../cli/output.ts";

export default defineCommand({
  meta: { name: "read", description: "Show one message in full (large messages included)" },
  args: { id: { type: "positional", description: "message id" }, ...identityArgs, ...brokerArgs },
  async run({ args }) {
    const config = configFrom(args);
    const { agent } = actingAgent(config);
    const { message } = await agent.call("read", { message_id: parseId(args.id, "ID")! });
    emit(config, () => asHeader(agent, config.color) + formatMessage(message, config.color, agent.name), { message });
  },
});
