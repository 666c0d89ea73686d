/** rename: change this agent's own name; the old one forwards for 2 hours. */
import * as v from "valibot";
import { Name } from "../../protocol/names.ts";
import { defineTool } from "./_tool.ts";

export const RenameInput = v.object({ new_name: v.pipe(Name, v.description('your new name, e.g. "fred-debugging"')) });

export default defineTool({
  name: "rename",
  title: "Rename yourself",
  description:
    'Change your own name (at most once per hour). Messages to the old name are forwarded to the new one for 2 hours and every other agent is told. Use for "rename to fred-debugging", "call yourself barney-reviewer from now on".',
  input: RenameInput,
  aliases: { new_id: "new_name" },
  example: '{"new_name": "fred-debugging"}',
  hints: { openWorldHint: false },
  async run({ new_name }, { agent, identity }) {
    const r = await agent.call("rename", { new_name });
    identity.renamed(r);
    return `Renamed ${r.old} to ${r.new}. Messages to ${r.old} are forwarded to ${r.new} for 2 hours.`;
  },
});
