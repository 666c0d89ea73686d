/** `ipc send TO MESSAGE…` (or `-` for stdin): send a message. */
import { defineCommand } from "citty";
import { actingAgent, asWho, messageText, parseData, parseId } from "../cli/agent.ts";
import { brokerArgs, configFrom, identityArgs } from "../cli/args.ts";
import { futureNote } from "../cli/future-hint.ts";
import { emit, errOut, palette } from "../cli/output.ts";
import { SEND_STATUS_TEXT } from "../protocol/responses.ts";

export default defineCommand({
  meta: { name: "send", description: "Send a message: ipc send TO MESSAGE…  (or ipc send TO - to read stdin)" },
  args: {
    to: { type: "positional", required: true, description: "recipient name" },
    message: { type: "positional", description: "the message (several words are joined; - reads stdin)", required: false },
    data: { type: "string", description: "attach a JSON object", valueHint: "json" },
    "reply-to": { type: "string", description: "id of the message this answers", valueHint: "id" },
    ...identityArgs,
    ...brokerArgs,
  },
  async run({ args }) {
    const config = configFrom(args);
    const content = await messageText(args._.slice(1));
    const data = parseData(args.data);
    const replyTo = parseId(args["reply-to"], "--reply-to");
    const { agent } = actingAgent(config);
    const r = await agent.call("send", {
      to: args.to,
      content,
      ...(data !== undefined && { data }),
      ...(replyTo !== undefined && { reply_to: replyTo }),
    });
    const p = palette(config.color);
    emit(config, () => `${p.green("✔")} Sent #${r.message_id} to ${p.bold(r.to)}${asWho(agent)} (${SEND_STATUS_TEXT[r.status]})`, r);
    if (r.status === "future" && !config.json) errOut(`${p.yellow("⚠")} ${await futureNote(agent, config, r.to, r.message_id)}\n`);
  },
});
