/** `ipc claims [--all]`: who holds which files of this project (or of every project). */
import { defineCommand } from "citty";
import { agentFor } from "../cli/agent.ts";
import { brokerArgs, configFrom } from "../cli/args.ts";
import { emit } from "../cli/output.ts";
import { formatClaims } from "../claims/format.ts";
import { projectId, projectRoot } from "../claims/project.ts";

export default defineCommand({
  meta: { name: "claims", description: "Who holds which files of this project (--all: every project)" },
  args: {
    all: { type: "boolean", description: "claims of every project on this broker" },
    ...brokerArgs,
  },
  async run({ args }) {
    const config = configFrom(args);
    const project = args.all === true ? undefined : projectId(projectRoot(process.cwd()));
    const r = await agentFor(config).call("claims", project === undefined ? {} : { project });
    emit(config, () => formatClaims(r.claims, project === undefined ? "No claims." : `No claims in ${project}.`), r);
  },
});
