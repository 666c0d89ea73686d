/**
 * install.sh against a release folder made by build.ts (this machine's target
 * only), served by Bun.serve on 127.0.0.1 as IPC_INSTALL_BASE: a good install
 * that runs, a tampered archive refused with nothing installed, an unknown
 * platform and a platform the release lacks (a `uname` shim on PATH), and the
 * script is POSIX sh (`sh -n`, shellcheck where installed).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type HostRelease, RELEASE_REPOSITORY, hostRelease } from "../helpers/release.ts";

const ROOT = resolve(import.meta.dir, "../..");
const work = mkdtempSync(join(tmpdir(), "ipc-install-"));
let release: HostRelease;
let server: ReturnType<typeof Bun.serve>;
/** URL prefix → folder served under it. */
const served = new Map<string, string>();

beforeAll(async () => {
  release = await hostRelease();
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const [, prefix, name] = new URL(req.url).pathname.split("/");
      const dir = served.get(prefix ?? "");
      if (dir === undefined || !name || name.includes("..")) return new Response("not found", { status: 404 });
      const path = join(dir, name);
      return existsSync(path) ? new Response(Bun.file(path)) : new Response("not found", { status: 404 });
    },
  });
  served.set("good", release.dir);
}, 120_000);

afterAll(() => {
  server?.stop(true);
  rmSync(work, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the stamped install.sh with `sh`, read from stdin like `curl … | sh`. */
async function install(env: Record<string, string>, pathPrefix?: string): Promise<Run> {
  const proc = Bun.spawn(["sh", "-s"], {
    env: {
      PATH: pathPrefix ? `${pathPrefix}:${process.env.PATH}` : process.env.PATH!,
      HOME: join(work, "home"),
      ...env,
    },
    stdin: Bun.file(join(release.dir, "install.sh")),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/** A folder with a `uname` that reports `os` and `arch`, to put first on PATH. */
function unameShim(os: string, arch: string): string {
  const dir = mkdtempSync(join(work, "uname-"));
  writeFileSync(join(dir, "uname"), `#!/bin/sh\ncase "$1" in -s) echo ${os} ;; -m) echo ${arch} ;; *) echo ${os} ;; esac\n`);
  chmodSync(join(dir, "uname"), 0o755);
  return dir;
}

const base = (prefix: string) => `http://127.0.0.1:${server.port}/${prefix}`;

describe("install.sh", () => {
  test("is POSIX sh (sh -n, and shellcheck where installed) and the release stamps its download URL", async () => {
    expect(Bun.spawnSync(["sh", "-n", join(ROOT, "install.sh")]).exitCode).toBe(0);
    const shellcheck = Bun.which("shellcheck");
    if (shellcheck) {
      const r = Bun.spawnSync([shellcheck, "-s", "sh", join(ROOT, "install.sh")]);
      expect(r.stdout.toString()).toBe("");
      expect(r.exitCode).toBe(0);
    }
    const stamped = readFileSync(join(release.dir, "install.sh"), "utf8");
    expect(stamped).toContain(`\nDEFAULT_BASE="https://github.com/${RELEASE_REPOSITORY}/releases/download/v${release.version}"\n`);
  });

  test("a good install: the checked binary lands in IPC_INSTALL_DIR, runs, and the PATH hint is printed", async () => {
    const dir = join(work, "good", "bin");
    const r = await install({ IPC_INSTALL_BASE: base("good"), IPC_INSTALL_DIR: dir });
    expect(r.stderr).toContain(`installed ${release.version} (${release.commit}) to ${dir}/ipc`);
    expect(r.code).toBe(0);
    expect(readdirSync(dir)).toEqual(["ipc"]);
    expect(statSync(join(dir, "ipc")).mode & 0o777).toBe(0o755);
    expect(r.stderr).toContain(`${dir} is not on your PATH`);
    expect(r.stderr).toContain(`export PATH="${dir}:$PATH"`);
    const version = Bun.spawnSync([join(dir, "ipc"), "--version"]);
    expect(version.stdout.toString()).toBe(`${release.version} (${release.commit})\n`);
  }, 60_000);

  test("without IPC_INSTALL_DIR it installs into ~/.local/bin; on PATH, no hint", async () => {
    const home = join(work, "home2");
    const r = await install({ IPC_INSTALL_BASE: base("good"), HOME: home }, join(home, ".local", "bin"));
    expect(r.code).toBe(0);
    expect(existsSync(join(home, ".local", "bin", "ipc"))).toBe(true);
    expect(r.stderr).not.toContain("is not on your PATH");
  }, 60_000);

  test("a tampered archive is refused before it runs, and nothing is installed or replaced", async () => {
    // Same SHA256SUMS, archive of the same name holding an `ipc` that would leave a mark if run.
    const evil = join(work, "evil");
    const archive = readdirSync(release.dir).find((f) => f.endsWith(".tar.gz"))!;
    const inner = join(evil, "src", archive.replace(/\.tar\.gz$/, ""));
    mkdirSync(inner, { recursive: true });
    const mark = join(work, "tampered-binary-ran");
    writeFileSync(join(inner, "ipc"), `#!/bin/sh\ntouch ${mark}\n`);
    chmodSync(join(inner, "ipc"), 0o755);
    expect(Bun.spawnSync(["tar", "-czf", join(evil, archive), "-C", join(evil, "src"), archive.replace(/\.tar\.gz$/, "")]).exitCode).toBe(0);
    cpSync(join(release.dir, "SHA256SUMS"), join(evil, "SHA256SUMS"));
    served.set("evil", evil);

    const fresh = join(work, "fresh", "bin");
    const r = await install({ IPC_INSTALL_BASE: base("evil"), IPC_INSTALL_DIR: fresh });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`checksum mismatch for ${archive}`);
    expect(r.stderr).toContain("Nothing was installed");
    expect(existsSync(fresh)).toBe(false);
    expect(existsSync(mark)).toBe(false);

    // Over an existing install: the old binary stays, byte for byte.
    const dir = join(work, "good", "bin");
    const before = await Bun.file(join(dir, "ipc")).bytes();
    const again = await install({ IPC_INSTALL_BASE: base("evil"), IPC_INSTALL_DIR: dir });
    expect(again.code).toBe(1);
    expect(readdirSync(dir)).toEqual(["ipc"]);
    expect(Buffer.compare(await Bun.file(join(dir, "ipc")).bytes(), before)).toBe(0);
    expect(existsSync(mark)).toBe(false);
  }, 60_000);

  test("an unknown OS or CPU is a clear error, with nothing downloaded or installed", async () => {
    const dir = join(work, "none", "bin");
    const os = await install({ IPC_INSTALL_BASE: base("good"), IPC_INSTALL_DIR: dir }, unameShim("SunOS", "x86_64"));
    expect(os.code).toBe(1);
    expect(os.stderr).toContain("no ipc release binary for the OS 'SunOS'");
    expect(os.stderr).toContain("npx -y agent-ipc");
    const cpu = await install({ IPC_INSTALL_BASE: base("good"), IPC_INSTALL_DIR: dir }, unameShim("Linux", "riscv64"));
    expect(cpu.code).toBe(1);
    expect(cpu.stderr).toContain("no ipc release binary for the CPU 'riscv64' on linux");
    expect(existsSync(dir)).toBe(false);
  });

  test("a platform the release has no archive for is named, with what the release has", async () => {
    const [os, arch, name] = release.target.name === "linux-arm64" ? ["Darwin", "x86_64", "darwin-x64"] : ["Linux", "aarch64", "linux-arm64"];
    const dir = join(work, "missing", "bin");
    const r = await install({ IPC_INSTALL_BASE: base("good"), IPC_INSTALL_DIR: dir }, unameShim(os, arch));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the release at ${base("good")} has no archive for ${name}`);
    expect(r.stderr).toContain(`-${release.target.name}.tar.gz`);
    expect(existsSync(dir)).toBe(false);
  });

  test("an unreachable release and an unstamped script say what to do", async () => {
    const dir = join(work, "unreachable", "bin");
    const r = await install({ IPC_INSTALL_BASE: base("nothing-here"), IPC_INSTALL_DIR: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`could not download ${base("nothing-here")}/SHA256SUMS`);
    expect(existsSync(dir)).toBe(false);

    const proc = Bun.spawnSync(["sh", join(ROOT, "install.sh")], { env: { PATH: process.env.PATH!, HOME: join(work, "home3"), IPC_INSTALL_DIR: dir } });
    expect(proc.exitCode).toBe(1);
    expect(proc.stderr.toString()).toContain("set IPC_INSTALL_BASE");
    expect(existsSync(dir)).toBe(false);
  });
});
