/** list_instances: who is registered, who is online, unread counts (a page at a time). */
import * as v from "valibot";
import { claimsFooter } from "../../claims/format.ts";
import { projectId, projectRoot } from "../../claims/project.ts";
import { listInstances } from "../../client/list-pages.ts";
import { instancesText } from "../format.ts";
import { defineTool } from "./_tool.ts";

export const ListInstancesInput = v.object({
  cursor: v.optional(v.pipe(v.string(), v.maxLength(64), v.description("for the next page: the cursor the previous answer named"))),
});

export default defineTool({
  name: "list_instances",
  title: "Who's online",
  description:
    'List the agents on ipc, of any vendor and machine (ListAgents shows Claude sessions only): who is online, last seen, unread counts. Use for "who\'s online?", "list agents", "who can I message?". Long lists come a page at a time.',
  input: ListInstancesInput,
  example: "{}",
  needsIdentity: false,
  hints: { readOnlyHint: true, openWorldHint: false },
  async run(args, { agent, identity }) {
    const r = await listInstances(agent, args.cursor === undefined ? {} : { cursor: args.cursor });
    const claims = await agent.call("claims", { project: projectId(projectRoot(process.cwd())) }).then((c) => c.claims, () => []);
    return instancesText(r, identity.name) + claimsFooter(claims);
  },
});
