/** broadcast: one message to every other registered agent. */
import * as v from "valibot";
import { Content, DataField } from "./_fields.ts";
import { defineTool } from "./_tool.ts";

export const BroadcastInput = v.object({ content: Content, data: DataField });

export default defineTool({
  name: "broadcast",
  title: "Message everyone",
  description:
    'Send one message to every other agent on ipc, whatever its vendor or machine. Use for "tell everyone …", "broadcast: deploying in 5 minutes". For one recipient use send.',
  input: BroadcastInput,
  example: '{"content": "deploying in 5 minutes"}',
  hints: { openWorldHint: false },
  async run(args, { agent }) {
    const r = await agent.call("broadcast", args);
    return r.count === 0
      ? "Nobody else is registered yet, so the broadcast reached no one."
      : `Broadcast to ${r.count} agent${r.count === 1 ? "" : "s"} (message ids ${r.message_ids.join(", ")}).`;
  },
});
