/** `ipc thread ID`: a message's whole thread, oldest first, as far as you may read it. */
import { defineCommand } from "citty";
import { actingAgent, asHeader, parseId } from "../cli/agent.ts";
import { brokerArgs, configFrom, identityArgs } from "../cli/args.ts";
import { emit, formatMessages } from "../cli/output.ts";

export default defineCommand({
  meta: { name: "thread", description: "A message's whole thread (its root and every reply), oldest first" },
  args: { id: { type: "positional", required: true, description: "any message id of the thread" }, ...identityArgs, ...brokerArgs },
  async run({ args }) {
    const config = configFrom(args);
    const { agent } = actingAgent(config);
    const r = await agent.call("thread", { message_id: parseId(args.id, "ID")! });
    emit(config, () => asHeader(agent, config.color) + formatMessages(r.messages, config.color, "No messages.", agent.name), r);
  },
});
