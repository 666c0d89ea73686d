/** `ipc release [PATH…]`: end your claims in this project (all of them without paths). */
import { defineCommand } from "citty";
import { actingAgent, asWho } from "../cli/agent.ts";
import { brokerArgs, configFrom, identityArgs } from "../cli/args.ts";
import { emit, palette, plural } from "../cli/output.ts";
import { claimTarget } from "../claims/project.ts";

export default defineCommand({
  meta: { name: "release", description: "End your claims in this project: those on PATH…, or all of them" },
  args: {
    path: { type: "positional", required: false, description: "claimed paths or globs, as claimed (default: all yours here)" },
    ...identityArgs,
    ...brokerArgs,
  },
  async run({ args }) {
    const config = configFrom(args);
    const { project, paths } = claimTarget(args._, process.cwd());
    const { agent } = actingAgent(config);
    const r = await agent.call("release", { project, ...(paths.length > 0 && { paths }) });
    const p = palette(config.color);
    emit(config, () => `${p.green("✔")} Released ${plural(r.released, "claim")}${asWho(agent)} in ${project}`, { project, ...r });
  },
});
