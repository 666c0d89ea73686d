/** `ipc read ID`: one whole message (the full text of a large message). */
import { defineCommand } from "citty";
import { agentFor, parseId } from "../cli/agent.ts";
import { brokerArgs, configFrom, identityArgs } from "../cli/args.ts";
import { emit, formatMessage } from "../cli/output.ts";

export default defineCommand({
  meta: { name: "read", description: "Show one message in full (large messages included)" },
  args: { id: { type: "positional", description: "message id" }, ...identityArgs, ...brokerArgs },
  async run({ args }) {
    const config = configFrom(args);
    const { message } = await agentFor(config).call("read", { message_id: parseId(args.id, "ID")! });
    emit(config, () => formatMessage(message, config.color), { message });
  },
});
