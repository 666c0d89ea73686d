/**
 * How much of a project a claim covers (docs/coordination.md, "Claims that
 * hold"): a claim of every path is refused by the protocol (claims/match.ts
 * coversEverything); here, on the claiming side, a claim whose paths together
 * cover more than MAX_SHARE of the project's tracked files (`git ls-files`),
 * and more than MIN_FILES of them, is refused too, unless the owner forces it
 * (`ipc claim --force`; the MCP claim tool never can).
 */
import { covers } from "./match.ts";
import { IpcError } from "../protocol/errors.ts";

/** Largest share of the tracked files one claim may cover without --force. */
export const MAX_SHARE = 0.5;
/** A claim of at most this many files is never refused for its share (small projects). */
export const MIN_FILES = 20;
/** Longest `git ls-files` may take (ms); past it no share is checked. */
const GIT_TIMEOUT_MS = 5_000;
/** Most tracked files counted (a larger index is counted up to here). */
const MAX_TRACKED = 200_000;

/** The tracked files of the git repository at `root`, relative to it; null when it is not one (or git fails). */
export function trackedFiles(root: string): string[] | null {
  try {
    const r = Bun.spawnSync(["git", "-C", root, "ls-files", "-z"], { stdout: "pipe", stderr: "ignore", stdin: "ignore", timeout: GIT_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
    if (r.exitCode !== 0) return null;
    return r.stdout.toString().split("\0").filter((f) => f !== "").slice(0, MAX_TRACKED);
  } catch {
    return null;
  }
}

/**
 * Refuses claims `paths` (relative to `root`) that together cover more than
 * MAX_SHARE and more than MIN_FILES of the project's tracked files, unless
 * `force`. `overridable` says whether the refusal may mention --force (the CLI).
 * @throws IpcError BAD_REQUEST (exit 2).
 */
export function checkCoverage(root: string, paths: readonly string[], opts: { force?: boolean; overridable?: boolean } = {}): void {
  if (opts.force === true || paths.length === 0) return;
  const files = trackedFiles(root);
  if (files === null || files.length === 0) return;
  const globs = paths.map((p) => ({ p, g: /[*?[\]{}]/.test(p) ? new Bun.Glob(p) : null }));
  let n = 0;
  for (const f of files) if (globs.some(({ p, g }) => (g === null ? covers(p, f) : g.match(f)))) n++;
  if (n <= MIN_FILES || n <= files.length * MAX_SHARE) return;
  const how = opts.overridable
    ? "claim the folders or files you will edit; if you (the owner) really mean to hold most of the project, add --force"
    : "claim only the folders or files you will edit";
  throw new IpcError("BAD_REQUEST", `${paths.join(", ")} covers ${n} of the project's ${files.length} tracked files (more than ${MAX_SHARE * 100} %): ${how}`, 2);
}
