/** claim: claim files of this project so other agents' edit hooks leave them alone, release them, or list claims (docs/coordination.md). */
import * as v from "valibot";
import { formatClaims } from "../../claims/format.ts";
import { checkCoverage } from "../../claims/coverage.ts";
import { claimPattern, projectId, projectRoot } from "../../claims/project.ts";
import { IpcError } from "../../protocol/errors.ts";
import { defineTool } from "./_tool.ts";

export const ClaimInput = v.object({
  action: v.pipe(v.picklist(["claim", "release", "list"], 'action is "claim", "release" or "list"'), v.description("claim, release, or list")),
  paths: v.optional(v.pipe(v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(1024))), v.maxLength(100), v.description("paths or globs from the project root"))),
  ttl_minutes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(10_080), v.description("default 30"))),
  shared: v.optional(v.pipe(v.boolean(), v.description("coexists with other shared claims"))),
  reason: v.optional(v.pipe(v.string(), v.maxLength(200), v.description("shown to others"))),
});

export default defineTool({
  name: "claim",
  title: "Claim files",
  description:
    "Claim files before editing so other agents' edits of them are refused; release them; list who holds what. A refused claim names the holder: message them.",
  input: ClaimInput,
  aliases: { path: "paths", files: "paths" },
  example: '{"action": "claim", "paths": ["src/api/**"], "reason": "auth refactor"}',
  hints: { openWorldHint: false },
  async run({ action, paths, ttl_minutes, shared, reason }, { agent }) {
    const root = projectRoot(process.cwd());
    const project = projectId(root);
    const rel = (paths ?? []).map((p) => claimPattern(root, root, p));
    if (action === "list") return formatClaims((await agent.call("claims", { project })).claims, `No claims in ${project}.`);
    if (action === "release") {
      const r = await agent.call("release", { project, ...(rel.length > 0 && { paths: rel }) });
      return `Released ${r.released} claim${r.released === 1 ? "" : "s"} in ${project}.`;
    }
    if (rel.length === 0) throw new IpcError("BAD_REQUEST", 'give paths to claim, e.g. {"action": "claim", "paths": ["src/api/**"]}');
    checkCoverage(root, rel); // no force from an agent: only the owner, on the CLI

    const r = await agent.call("claim", {
      project,
      paths: rel,
      ...(ttl_minutes !== undefined && { ttl_s: ttl_minutes * 60 }),
      ...(shared === true && { shared: true }),
      ...(reason !== undefined && { reason }),
    });
    return `Claimed in ${project}:\n${formatClaims(r.claims)}`;
  },
});
