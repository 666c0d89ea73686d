/** send: one message to one agent. */
import * as v from "valibot";
import { sendStatusText } from "../format.ts";
import { Content, DataField, MessageIdField, To } from "./_fields.ts";
import { defineTool } from "./_tool.ts";

export const SendInput = v.object({
  to: To,
  content: Content,
  data: DataField,
  reply_to: v.optional(v.pipe(MessageIdField, v.description("the id of the message this answers (optional)"))),
});

export default defineTool({
  name: "send",
  title: "Send a message",
  description:
    'Send a message to another agent or person by name. Use for "msg fred: hi", "tell barney the build is green", "send wilma the summary", "reply to fred". If the name has never registered, the message waits for them.',
  input: SendInput,
  aliases: { to_id: "to" },
  example: '{"to": "fred", "content": "hi"}',
  hints: { openWorldHint: false },
  async run(args, { agent }) {
    const r = await agent.call("send", args);
    return `Sent message #${r.message_id} to ${r.to}: ${sendStatusText(r.to, r.status, args.to)}.`;
  },
});
