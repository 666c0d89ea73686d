/**
 * File claims on the wire (docs/coordination.md): the `claim`, `release` and
 * `claims` requests and their results. A claim belongs to a project (its git
 * remote `git:host/path`, else the absolute path of its git root or working
 * directory; src/claims/project.ts) and a name; its
 * path is relative to the project root, `/`-separated, and may be a glob
 * (Bun's Glob syntax: `*`, `**`, `?`, `[…]`, `{a,b}`).
 */
import * as v from "valibot";

/** The project a claim belongs to: `git:` and its normalised origin remote, or an absolute path (the git root, else the working directory). */
export const Project = v.pipe(
  v.string(),
  v.minLength(1),
  v.maxLength(4096),
  v.regex(/^(?:\/|git:)[^\u0000-\u001f\u007f]*$/u, "a project is git:HOST/PATH (its origin remote) or an absolute path (the git root, else the working directory)"),
);

/**
 * A claimed path or glob relative to the project root: no leading `/`, no `..`
 * or `.` segment, no NUL or other control character, at most 1 024 characters,
 * and not a glob of the whole project such as `**`: one agent must not lock everyone out.
 */
export const ClaimPath = v.pipe(
  v.string(),
  v.minLength(1),
  v.maxLength(1024),
  v.regex(/^[^\u0000-\u001f\u007f]+$/u, "a claimed path cannot contain control characters"),
  v.check((p) => !p.startsWith("/") && !p.split("/").some((seg) => seg === ".." || seg === "." || seg === ""), "a claimed path is relative to the project root, without . or .. segments or empty ones"),
  v.check((p) => !/^\*\*(\/\*\*)*(\/\*)?$/.test(p), "a claim cannot cover the whole project: claim the folders or files you edit (e.g. src/api/**)"),
);

/** Claim lifetimes: 1 minute to 7 days (seconds). */
export const ClaimTtl = v.pipe(v.number(), v.integer(), v.minValue(60), v.maxValue(7 * 86_400));

/** Default lifetime of a claim: 30 minutes (seconds). */
export const DEFAULT_CLAIM_TTL_S = 1800;

const base = { id: v.optional(v.union([v.pipe(v.number(), v.safeInteger()), v.pipe(v.string(), v.maxLength(128))])), token: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(256))) };

/** Claims `paths` in `project` for the session's name; claiming again renews (new TTL, shared and reason). */
export const ClaimRequest = v.object({
  ...base,
  op: v.literal("claim"),
  project: Project,
  paths: v.pipe(v.array(ClaimPath), v.minLength(1), v.maxLength(100)),
  ttl_s: v.optional(ClaimTtl),
  /** Coexists with other shared claims; an exclusive claim (the default) coexists with none. */
  shared: v.optional(v.boolean()),
  reason: v.optional(v.pipe(v.string(), v.maxLength(200), v.regex(/^[^\u0000-\u001f\u007f]*$/u, "a reason is one line of text"))),
});
/** Ends the session's claims in `project`: those on `paths`, or all of them. */
export const ReleaseRequest = v.object({
  ...base,
  op: v.literal("release"),
  project: Project,
  paths: v.optional(v.pipe(v.array(ClaimPath), v.maxLength(100))),
});
/** Live claims in `project`, or in every project when it is absent. */
export const ClaimsRequest = v.object({ ...base, op: v.literal("claims"), project: v.optional(Project) });

/** One live claim. Times are ISO-8601 UTC. */
export const ClaimInfo = v.object({
  project: v.string(),
  path: v.string(),
  holder: v.string(),
  shared: v.boolean(),
  reason: v.nullable(v.string()),
  claimed_at: v.string(),
  expires_at: v.string(),
  /** False once the holder has no live session: the claim then ends after the grace period (IPC_CLAIM_GRACE_MINUTES). */
  holder_online: v.boolean(),
});
export type ClaimInfo = v.InferOutput<typeof ClaimInfo>;
export const ClaimsResult = v.object({ claims: v.array(ClaimInfo) });
export const ReleaseResult = v.object({ released: v.number() });
