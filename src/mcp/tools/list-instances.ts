/** list_instances: who is registered, who is online, unread counts. */
import * as v from "valibot";
import { instancesText } from "../format.ts";
import { defineTool } from "./_tool.ts";

export const ListInstancesInput = v.object({});

export default defineTool({
  name: "list_instances",
  title: "Who's online",
  description:
    'List the registered agents: who is online (connected or seen in the last 5 minutes), when each was last seen, and unread counts. Use for "who\'s online?", "list agents", "who can I message?".',
  input: ListInstancesInput,
  example: "{}",
  needsIdentity: false,
  hints: { readOnlyHint: true, openWorldHint: false },
  async run(_args, { agent, identity }) {
    const { instances } = await agent.call("list", {});
    return instancesText(instances, identity.name);
  },
});
