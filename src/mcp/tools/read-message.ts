/** read_message: one whole message by id (the full text of a large message). */
import * as v from "valibot";
import { formatMessage } from "../../cli/output.ts";
import { MessageIdField } from "./_fields.ts";
import { defineTool } from "./_tool.ts";

export const ReadMessageInput = v.object({ message_id: MessageIdField });

export default defineTool({
  name: "read_message",
  title: "Read one message",
  description:
    'Show one whole message you sent or received, by id. Use for "read message 41", "show the full text of #41"; check shows only a summary of large messages, this returns all of it. Marks it read. For a message you sent, it says whether and when the recipient read it.',
  input: ReadMessageInput,
  aliases: { id: "message_id" },
  example: '{"message_id": 41}',
  hints: { openWorldHint: false },
  async run({ message_id }, { agent }) {
    const { message } = await agent.call("read", { message_id });
    return formatMessage(message, false, agent.name);
  },
});
