/**
 * A project's id (src/claims/project.ts): its git `origin` remote, normalised,
 * so every clone of one repository is one project (on any machine); else the
 * root's path. Real git repositories in temporary folders.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { originId, projectId, projectRoot } from "../../src/claims/project.ts";
import { tempHome } from "../helpers/processes.ts";

const hasGit = Bun.which("git") !== null;

/** A git repository in a fresh folder (its real path), with `origin` set to `url` when given. */
function repo(url?: string): string {
  const d = realpathSync(tempHome("ipc-project-"));
  const git = (...args: string[]) => expect(Bun.spawnSync(["git", "-C", d, ...args], { stderr: "pipe" }).exitCode).toBe(0);
  git("init", "-q");
  if (url !== undefined) git("remote", "add", "origin", url);
  return d;
}

describe("originId", () => {
  test("the ssh, scp-like and https forms of one repository give one id, without credentials, port, .git or trailing /", () => {
    for (const url of [
      "git@github.com:owner/repo.git",
      "ssh://git@github.com:22/owner/repo",
      "https://github.com/owner/repo.git",
      "https://user:s3cret-token@GitHub.com/owner/repo.git/",
      "git://github.com/owner/repo",
    ]) {
      expect(originId(url)).toBe("github.com/owner/repo");
    }
    expect(originId("https://x-access-token:ghp_abc@github.com/o/r")).not.toContain("ghp_abc");
  });

  test("local remotes give their path; nonsense and control characters give null", () => {
    expect(originId("/srv/git/project.git")).toBe("/srv/git/project");
    expect(originId("file:///srv/git/project.git")).toBe("/srv/git/project");
    expect(originId("")).toBeNull();
    expect(originId("relative/path")).toBeNull();
    expect(originId("https://github.com/")).toBeNull();
    expect(originId("git@github.com:o/r\n[core]")).toBeNull();
  });
});

describe.skipIf(!hasGit)("projectId", () => {
  test("two clones of one origin at different paths are one project; a repository without origin is its path", () => {
    const one = repo("git@github.com:owner/repo.git");
    const two = repo("https://github.com/owner/repo");
    expect(one).not.toBe(two);
    expect(projectId(one)).toBe("git:github.com/owner/repo");
    expect(projectId(two)).toBe("git:github.com/owner/repo");
    const bare = repo();
    expect(projectId(bare)).toBe(bare);
  });

  test("from a subfolder, the project root's id; a folder outside any repository is its own path", () => {
    const r = repo("git@example.org:team/app.git");
    mkdirSync(join(r, "src", "api"), { recursive: true });
    expect(projectId(projectRoot(join(r, "src", "api")))).toBe("git:example.org/team/app");
    const plain = realpathSync(tempHome("ipc-project-plain-"));
    expect(projectId(projectRoot(plain))).toBe(plain);
  });
});
