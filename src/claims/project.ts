/**
 * The project a claim belongs to and paths relative to it (docs/coordination.md):
 * the project root is the nearest folder up from the working directory that
 * holds `.git` (a folder, or a worktree's `.git` file), else the working
 * directory itself; symbolic links are resolved, so `/tmp/x` and its real
 * path are one project.
 */
import { existsSync, realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { IpcError } from "../protocol/errors.ts";

/** Most folders walked up looking for `.git`. */
const MAX_DEPTH = 64;

/** `path` with symbolic links resolved as far as it exists (a file not yet written keeps its tail). */
export function realish(path: string): string {
  let head = resolve(path);
  const tail: string[] = [];
  for (let depth = 0; depth < 256; depth++) {
    try {
      return join(realpathSync(head), ...tail.reverse());
    } catch {
      const up = dirname(head);
      if (up === head) break;
      tail.push(basename(head));
      head = up;
    }
  }
  return resolve(path);
}

/** The project root of `cwd`: its git root, else `cwd` (real paths). */
export function projectRoot(cwd: string): string {
  const start = realish(cwd);
  let dir = start;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    if (existsSync(join(dir, ".git"))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return start;
}

/** `path` (absolute, or relative to `cwd`) relative to `root`, `/`-separated; null when it is outside `root` or is the root. */
export function relativeTo(root: string, cwd: string, path: string): string | null {
  const abs = realish(isAbsolute(path) ? path : join(cwd, path));
  const rel = relative(root, abs);
  if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return null;
  return rel.split(sep).join("/");
}

/**
 * A path or glob as typed in `cwd`, as a claim relative to `root`: the glob's
 * fixed folder part is resolved like a path and its pattern part kept.
 * @throws IpcError BAD_REQUEST (exit 2) for one outside the project.
 */
export function claimPattern(root: string, cwd: string, typed: string): string {
  const at = typed.search(/[*?[\]{}]/);
  const cut = at < 0 ? typed.length : typed.lastIndexOf("/", at) + 1;
  const head = typed.slice(0, cut).replace(/\/+$/, "");
  const pattern = typed.slice(cut);
  const base = head === "" ? (isAbsolute(typed) ? "/" : cwd) : isAbsolute(head) ? head : join(cwd, head);
  const rel = relativeTo(root, cwd, base);
  if (rel === null && realish(base) !== root) {
    throw new IpcError("BAD_REQUEST", `${typed} is outside this project (${root}): claim paths inside it, or run ipc claim from the other project`, 2);
  }
  const joined = [rel ?? "", pattern].filter((p) => p !== "").join("/");
  if (joined === "") throw new IpcError("BAD_REQUEST", `${typed} is the whole project: claim folders or files inside it (e.g. src/**)`, 2);
  return joined;
}

/** The project of `cwd` and `typed` paths or globs as claims in it (empty words dropped). @throws as claimPattern. */
export function claimTarget(typed: readonly string[], cwd: string): { project: string; paths: string[] } {
  const project = projectRoot(cwd);
  return { project, paths: typed.filter((p) => p !== "").map((p) => claimPattern(project, cwd, p)) };
}
