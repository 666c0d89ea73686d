/**
 * The project a claim belongs to and paths relative to it (docs/coordination.md):
 * the project root is the nearest folder up from the working directory that
 * holds `.git` (a folder, or a worktree's `.git` file), else the working
 * directory itself; symbolic links are resolved, so `/tmp/x` and its real
 * path are one project. The project's id, which claims are keyed by, is its
 * git remote `origin` (`git:host/path`, so every clone of one repository —
 * on this machine or another broker's — is one project), else the root's path.
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

/** The nearest folder from `dir` up that holds `.git` (real path), or null. */
export function gitRoot(dir: string): string | null {
  let at = realish(dir);
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    if (existsSync(join(at, ".git"))) return at;
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  return null;
}

/** The project root of `cwd`: its git root, else `cwd` (real paths). */
export function projectRoot(cwd: string): string {
  return gitRoot(cwd) ?? realish(cwd);
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

/** The project root and id of `cwd` and `typed` paths or globs as claims in it (empty words dropped). @throws as claimPattern. */
export function claimTarget(typed: readonly string[], cwd: string): { root: string; project: string; paths: string[] } {
  const root = projectRoot(cwd);
  return { root, project: projectId(root), paths: typed.filter((p) => p !== "").map((p) => claimPattern(root, cwd, p)) };
}

/** Longest a `git config` lookup may take (ms); past it the root's path is the id. */
const GIT_TIMEOUT_MS = 2_000;

/**
 * The id claims of the project at `root` are keyed by: `git:` and its
 * `origin` remote normalised by originId, when it has one (asked of `git
 * config`, which follows worktrees and includes); else `root` itself (also
 * when git is not installed).
 */
export function projectId(root: string): string {
  try {
    const r = Bun.spawnSync(["git", "-C", root, "config", "--get", "remote.origin.url"], { stdout: "pipe", stderr: "ignore", stdin: "ignore", timeout: GIT_TIMEOUT_MS });
    const url = r.exitCode === 0 ? r.stdout.toString().trim() : "";
    const id = url === "" ? null : originId(url);
    return id === null ? root : `git:${id}`;
  } catch {
    return root;
  }
}

/**
 * A remote URL as `host/path` (lower-case host, no user, password, port,
 * `.git` or trailing `/`), so the ssh and https forms of one repository
 * match: `git@github.com:o/r.git`, `ssh://git@github.com:22/o/r`,
 * `https://user:token@GitHub.com/o/r.git/` → `github.com/o/r`. A local path
 * (or `file://`) gives the path. Credentials never survive.
 * @returns null when `url` is none of these (or has control characters).
 */
export function originId(url: string): string | null {
  if (url.length > 2_000 || /[\u0000-\u001f\u007f]/u.test(url)) return null;
  let host: string;
  let path: string;
  const scp = /^(?:[^@/]+@)?([^:/]+):(?!\/\/)(.+)$/.exec(url); // user@host:path (scp-like ssh)
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return null;
    }
    if (u.protocol === "file:") return trimRepo(decodeURIComponent(u.pathname));
    host = u.hostname;
    path = decodeURIComponent(u.pathname);
  } else if (scp !== null && !url.startsWith("/")) {
    host = scp[1]!;
    path = scp[2]!;
  } else if (url.startsWith("/")) {
    return trimRepo(url);
  } else {
    return null;
  }
  const trimmed = trimRepo(`/${path.replace(/^\/+/, "")}`);
  return host === "" || trimmed === null ? null : `${host.toLowerCase()}${trimmed}`;
}

/** `/a/b.git/` → `/a/b`; null when nothing is left. */
function trimRepo(path: string): string | null {
  const t = path.replace(/\/+$/, "").replace(/\.git$/, "");
  return t === "" || t === "/" ? null : t;
}

