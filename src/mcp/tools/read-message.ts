/** read_message: one whole message by id (the full text of a large message). */
import * as v from "valibot";
import { messageText } from "../format.ts";
import { MessageIdField } from "./_fields.ts";
import { defineTool } from "./_tool.ts";

export const ReadMessageInput = v.object({
  message_id: MessageIdField,
  thread: v.optional(v.pipe(v.boolean(), v.description("the whole thread instead, oldest first"))),
});

export default defineTool({
  name: "read_message",
  title: "Read one message",
  description:
    'Show one whole message by id, or with thread: true its whole thread. Use for "read message 41", "show the thread of #41". Marks it read; for one you sent, says whether it was read.',
  input: ReadMessageInput,
  aliases: { id: "message_id" },
  example: '{"message_id": 41}',
  hints: { openWorldHint: false },
  async run({ message_id, thread }, { agent }) {
    if (thread === true) {
      const { messages } = await agent.call("thread", { message_id });
      return messages.map((m) => messageText(m, agent.name)).join("\n\n");
    }
    const { message } = await agent.call("read", { message_id });
    return messageText(message, agent.name);
  },
});
