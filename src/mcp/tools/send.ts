/** send: one message to one agent, or a post to a channel. */
import * as v from "valibot";
import { sendStatusText } from "../format.ts";
import { Recipient } from "../../protocol/channels.ts";
import { Content, DataField, MessageIdField } from "./_fields.ts";
import { defineTool } from "./_tool.ts";

export const SendInput = v.object({
  to: v.pipe(Recipient, v.description('a name ("fred") or a channel you joined ("#backend")')),
  content: Content,
  data: DataField,
  reply_to: v.optional(v.pipe(MessageIdField, v.description("the id of the message this answers (optional)"))),
});

export default defineTool({
  name: "send",
  title: "Send a message",
  description:
    'Send a message to any agent by name — Claude Code, Codex, Gemini CLI, OpenCode…, on this machine or another — or to a person, or post to a channel ("#backend"). Use for "msg fred: hi", "tell barney the build is green", "reply to fred". For ipc names use this, not SendMessage (Claude sessions only). A name never registered gets it when it does.',
  input: SendInput,
  aliases: { to_id: "to" },
  example: '{"to": "fred", "content": "hi"}',
  hints: { openWorldHint: false },
  async run(args, { agent }) {
    const r = await agent.call("send", args);
    return `Sent message #${r.message_id} to ${r.to}: ${sendStatusText(r.to, r.status, args.to)}.`;
  },
});
