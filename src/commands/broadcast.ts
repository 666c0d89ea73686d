/** `ipc broadcast MESSAGE…`: send to every registered instance but yourself. */
import { defineCommand } from "citty";
import { actingAgent, asWho, messageText, parseData } from "../cli/agent.ts";
import { brokerArgs, configFrom, identityArgs } from "../cli/args.ts";
import { emit, palette } from "../cli/output.ts";

export default defineCommand({
  meta: { name: "broadcast", description: "Send a message to every registered instance but yourself" },
  args: {
    message: { type: "positional", description: "the message (several words are joined; - reads stdin)" },
    data: { type: "string", description: "attach a JSON object", valueHint: "json" },
    ...identityArgs,
    ...brokerArgs,
  },
  async run({ args }) {
    const config = configFrom(args);
    const content = await messageText(args._);
    const data = parseData(args.data);
    const { agent } = actingAgent(config);
    const r = await agent.call("broadcast", { content, ...(data !== undefined && { data }) });
    const p = palette(config.color);
    emit(config, () => `${p.green("✔")} Broadcast to ${r.count} instance${r.count === 1 ? "" : "s"}${asWho(agent)}`, r);
  },
});
