/** `ipc claim PATH|GLOB… [--ttl 30m] [--shared] [--reason "…"]`: claim files of this project. */
import { defineCommand } from "citty";
import { actingAgent, asWho } from "../cli/agent.ts";
import { brokerArgs, configFrom, identityArgs } from "../cli/args.ts";
import { usageError } from "../cli/errors.ts";
import { emit, palette } from "../cli/output.ts";
import { formatClaims } from "../claims/format.ts";
import { checkCoverage } from "../claims/coverage.ts";
import { claimTarget } from "../claims/project.ts";
import { parseTtl } from "../claims/ttl.ts";

export default defineCommand({
  meta: { name: "claim", description: "Claim files of this project (paths or globs) so other agents' edit hooks leave them to you" },
  args: {
    path: { type: "positional", required: true, description: "files, folders or globs (quote globs: 'src/api/**')" },
    ttl: { type: "string", description: "how long: 90s, 30m, 2h, 1d (default 30m); claiming again renews", valueHint: "time" },
    shared: { type: "boolean", description: "coexist with other shared claims (default: exclusive)" },
    reason: { type: "string", description: "why, shown to whoever runs into it", valueHint: "text" },
    force: { type: "boolean", description: "claim even when the paths cover most of the project's tracked files (never a claim of every path)" },
    ...identityArgs,
    ...brokerArgs,
  },
  async run({ args }) {
    const config = configFrom(args);
    const { root, project, paths } = claimTarget(args._, process.cwd());
    if (paths.length === 0) throw usageError("no path given: ipc claim PATH|GLOB…");
    checkCoverage(root, paths, { force: args.force === true, overridable: true });
    const { agent } = actingAgent(config);
    const r = await agent.call("claim", {
      project,
      paths,
      ...(args.ttl !== undefined && { ttl_s: parseTtl(args.ttl) }),
      ...(args.shared === true && { shared: true }),
      ...(args.reason !== undefined && { reason: args.reason }),
    });
    const p = palette(config.color);
    emit(config, () => `${p.green("✔")} Claimed ${paths.join(", ")}${asWho(agent)} in ${project}\n${formatClaims(r.claims)}`, { project, ...r });
  },
});
