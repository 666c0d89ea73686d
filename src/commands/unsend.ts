/** `ipc unsend ID`: take back a message you sent that nobody has read yet. */
import { defineCommand } from "citty";
import { agentFor, parseId } from "../cli/agent.ts";
import { brokerArgs, configFrom, identityArgs } from "../cli/args.ts";
import { emit, palette } from "../cli/output.ts";

export default defineCommand({
  meta: { name: "unsend", description: "Take back a message you sent that nobody has read yet" },
  args: { id: { type: "positional", required: true, description: "message id (as `ipc send` printed it)" }, ...identityArgs, ...brokerArgs },
  async run({ args }) {
    const config = configFrom(args);
    const r = await agentFor(config).call("unsend", { message_id: parseId(args.id, "ID")! });
    const p = palette(config.color);
    emit(config, () => `${p.green("✔")} Unsent #${r.message_id}: ${r.to} will never see it`, r);
  },
});
