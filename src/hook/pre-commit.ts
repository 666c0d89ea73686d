/**
 * The optional git pre-commit hook (`ipc guard install`): refuses a commit
 * whose staged files another name claims exclusively (`ipc guard check
 * --staged`). Written to git's hooks folder (`git rev-parse --git-path hooks`,
 * so core.hooksPath and worktrees are honoured); a pre-commit hook that is not
 * ours is never overwritten.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { IpcError } from "../protocol/errors.ts";
import type { Blocked } from "./guard.ts";

/** The line that marks a pre-commit hook as ours. */
export const PRE_COMMIT_MARK = "# ipc guard: refuse commits touching files other agents claimed";

/** Runs git in `cwd`; its stdout, or null when git fails or is missing. */
function git(cwd: string, args: string[]): string | null {
  try {
    const r = Bun.spawnSync(["git", ...args], { cwd, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
    return r.exitCode === 0 ? r.stdout.toString() : null;
  } catch {
    return null;
  }
}

/** The staged files of the repository at `cwd` (added, changed, renamed, deleted), relative to its root; null outside a repository. */
export function stagedFiles(cwd: string): { root: string; files: string[] } | null {
  const root = git(cwd, ["rev-parse", "--show-toplevel"])?.trim();
  if (root === undefined || root === "") return null;
  const out = git(root, ["diff", "--cached", "--name-only", "-z", "--diff-filter=ACMRD"]);
  if (out === null) return null;
  return { root, files: out.split("\0").filter((f) => f !== "") };
}

/** The text of our pre-commit hook, running `command` (a shell line). */
export function preCommitScript(command: string): string {
  return `#!/bin/sh\n${PRE_COMMIT_MARK} (docs/coordination.md)\nexec ${command} guard check --staged\n`;
}

/**
 * Installs the pre-commit hook of the repository at `cwd`; returns its path.
 * @throws IpcError when `cwd` is not in a git repository, or another pre-commit hook is there.
 */
export function installPreCommit(cwd: string, command: string): string {
  const hooks = git(cwd, ["rev-parse", "--git-path", "hooks"])?.trim();
  if (hooks === undefined || hooks === "") throw new IpcError("BAD_REQUEST", `${cwd} is not in a git repository: run ipc guard install inside one`);
  const dir = resolve(cwd, hooks);
  const file = join(dir, "pre-commit");
  if (existsSync(file) && !readFileSync(file, "utf8").includes(PRE_COMMIT_MARK)) {
    throw new IpcError(
      "CONFLICT",
      `${file} already exists and is not ipc's: add the line \`${command} guard check --staged || exit 1\` to it yourself (nothing was written)`,
    );
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, preCommitScript(command));
  chmodSync(file, 0o755);
  return file;
}

/**
 * Why `ipc guard check` refuses (the CLI prints it after "ipc: "): who holds each
 * file, why, until when. For `--staged` (the pre-commit hook) it says the commit
 * is refused and how to get past: ask the holder, unstage the file, or `--no-verify`.
 */
export function claimRefusal(blocked: readonly Blocked[], commit: boolean): string {
  const lines = blocked.map(({ file, claim: c }) => {
    const why = c.reason === null ? "" : ` (their stated reason, quoted: ${JSON.stringify(c.reason)})`;
    const via = c.path === file ? "" : ` via its claim on ${c.path}`;
    return `${file} is claimed by ${c.holder}${via}${why} until ${c.expires_at}.`;
  });
  const holders = [...new Set(blocked.map((b) => b.claim.holder))];
  const ask = `ask ${holders.join(", ")} to release it (ipc send ${holders[0]} "…"; ipc claims shows who holds what)`;
  if (!commit) return `${lines.join(" ")} Do not edit it now: ${ask}.`;
  const files = blocked.map((b) => (/^[\w./@+-]+$/.test(b.file) ? b.file : `'${b.file.replace(/'/g, "'\\''")}'`));
  return `commit refused: ${lines.join(" ")} To commit: ${ask}, or leave it out of this commit (git restore --staged ${files.join(" ")}); git commit --no-verify skips this check.`;
}
