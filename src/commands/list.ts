/** `ipc list`: registered instances, who is online, unread counts, a page at a time (or --all); then this project's file claims. */
import { defineCommand } from "citty";
import { agentFor, parseId } from "../cli/agent.ts";
import { brokerArgs, configFrom } from "../cli/args.ts";
import { emit, formatInstances, palette } from "../cli/output.ts";
import { claimsFooter } from "../claims/format.ts";
import { projectId, projectRoot } from "../claims/project.ts";
import { listInstances } from "../client/list-pages.ts";

export default defineCommand({
  meta: { name: "list", description: "List registered instances: online, last seen, unread" },
  args: {
    all: { type: "boolean", description: "every instance, following all pages" },
    after: { type: "string", description: "only names after this one (the next page)", valueHint: "name" },
    limit: { type: "string", description: "names per page (1–1000; default: the broker's, 200)", valueHint: "n" },
    ...brokerArgs,
  },
  async run({ args }) {
    const config = configFrom(args);
    const limit = parseId(args.limit, "--limit");
    const agent = agentFor(config);
    const r = await listInstances(agent, {
      ...(args.after !== undefined && { cursor: args.after.toLowerCase() }),
      ...(limit !== undefined && { limit }),
      all: args.all === true,
    });
    // Who holds which files of this project; an older broker without claims shows none.
    const claims = await agent.call("claims", { project: projectId(projectRoot(process.cwd())) }).then((c) => c.claims, () => []);
    const { instances } = r;
    const p = palette(config.color);
    emit(
      config,
      () => {
        if (instances.length === 0) return p.dim(args.after === undefined ? "No instances registered yet: ipc register NAME" : `No names after ${args.after}.`);
        const rows = [formatInstances(instances, config.color)];
        if (r.next_cursor !== undefined) rows.push(p.dim(`… ${r.more ?? "and"} more: ipc list --after ${r.next_cursor} (or --all)`));
        return rows.join("\n") + claimsFooter(claims);
      },
      { ...r, claims },
    );
  },
});
