/** rename: change this agent's own name; the old one forwards for 2 hours. */
import * as v from "valibot";
import { IpcError } from "../../protocol/errors.ts";
import { Name, normalizeName } from "../../protocol/names.ts";
import { defineTool } from "./_tool.ts";

export const RenameInput = v.object({
  new_name: v.pipe(Name, v.description('your new name, e.g. "fred-debugging"')),
  old_id: v.optional(v.pipe(v.string(), v.description("your current name (optional, as claude-ipc-mcp sent it); naming anyone else is refused"))),
});

export default defineTool({
  name: "rename",
  title: "Rename yourself",
  description:
    'Change your own name (at most once per hour). Messages to the old name are forwarded to the new one for 2 hours and every other agent is told. Use for "rename to fred-debugging", "call yourself barney-reviewer from now on".',
  input: RenameInput,
  aliases: { new_id: "new_name" },
  example: '{"new_name": "fred-debugging"}',
  hints: { openWorldHint: false },
  async run({ new_name, old_id }, { agent, identity }) {
    // A legacy caller names the old name; one that is not ours must not rename us instead.
    if (old_id !== undefined && normalizeName(old_id) !== identity.name) {
      throw new IpcError("FORBIDDEN", `old_id "${old_id.slice(0, 64)}" is not your name (you are ${identity.name}): you can rename only yourself; nothing was renamed`);
    }
    const r = await agent.call("rename", { new_name });
    identity.renamed(r);
    return `Renamed ${r.old} to ${r.new}. Messages to ${r.old} are forwarded to ${r.new} for 2 hours.`;
  },
});
