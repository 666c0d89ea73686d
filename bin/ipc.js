#!/usr/bin/env node
/**
 * The npm package's `ipc` command (`npx agent-ipc …`, `bunx agent-ipc …`,
 * `npm i -g agent-ipc`). npx runs package bins with Node, so this plain-JS
 * launcher runs, in this order:
 *
 * 1. the compiled binary from the optional dependency `agent-ipc-<target>`
 *    that npm installed for this platform (build/npm-packages.ts writes them;
 *    the way esbuild and Bun ship);
 * 2. else src/main.ts (TypeScript written for Bun: bun:sqlite, Bun.listen)
 *    with a Bun runtime: the running Bun when started by Bun, else the binary
 *    of the `bun` npm dependency.
 *
 * stdio is inherited (the MCP server speaks over it), signals are passed on,
 * and the exit code or signal comes back unchanged.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), "..");
const MAIN = join(PACKAGE, "src", "main.ts");
const require = createRequire(import.meta.url);
const EXE = process.platform === "win32" ? "bun.exe" : "bun";

/** True on Linux with musl libc (Alpine): Node and Bun report no glibc version there. */
function isMusl() {
  return process.platform === "linux" && !process.report?.getReport?.().header?.glibcVersionRuntime;
}

/**
 * The compiled ipc of the platform package for this machine (names as in
 * build/targets.ts: agent-ipc-linux-x64, -linux-x64-musl, -darwin-arm64,
 * -windows-x64, …), or null when none is installed.
 */
function nativeBinary() {
  let name;
  try {
    name = JSON.parse(readFileSync(join(PACKAGE, "package.json"), "utf8")).name;
  } catch {
    return null;
  }
  const os = process.platform === "win32" ? "windows" : process.platform;
  const target = `${os}-${process.arch}${isMusl() ? "-musl" : ""}`;
  try {
    const dir = dirname(require.resolve(`${name}-${target}/package.json`));
    const bin = join(dir, "bin", process.platform === "win32" ? "ipc.exe" : "ipc");
    return isBinary(bin) ? bin : null;
  } catch {
    return null;
  }
}

/** True for a real executable, not a placeholder (the `bun` package ships a tiny one until its postinstall runs). */
function isBinary(path) {
  try {
    return statSync(path).size > 1_000_000;
  } catch {
    return false;
  }
}

/** npm packages that carry the Bun binary for this platform, best first. */
function platformPackages() {
  const arch = process.arch === "arm64" ? "aarch64" : process.arch;
  if (process.platform === "win32") return [`@oven/bun-windows-${arch}`];
  if (process.platform === "darwin") return [`@oven/bun-darwin-${arch}`];
  const musl = isMusl();
  const base = `@oven/bun-${process.platform}-${arch}`;
  return musl ? [`${base}-musl`, base] : [base, `${base}-musl`];
}

/** The Bun binary to run ipc with, or null. */
function findBun() {
  if (process.versions.bun) return process.execPath;
  let bunDir;
  try {
    bunDir = dirname(require.resolve("bun/package.json"));
  } catch {
    bunDir = null;
  }
  if (bunDir !== null) {
    // The postinstall of `bun` puts the right binary (baseline CPU builds included) here.
    const installed = join(bunDir, "bin", "bun.exe");
    if (isBinary(installed)) return installed;
    // Installed with --ignore-scripts: use the platform package directly.
    const fromBun = createRequire(join(bunDir, "package.json"));
    for (const pkg of platformPackages()) {
      try {
        const bin = join(dirname(fromBun.resolve(`${pkg}/package.json`)), "bin", EXE);
        if (isBinary(bin)) return bin;
      } catch {
        // Not installed for this platform.
      }
    }
  }
  for (const dir of (process.env.PATH ?? "").split(process.platform === "win32" ? ";" : ":")) {
    if (dir !== "" && existsSync(join(dir, EXE))) return join(dir, EXE);
  }
  return null;
}

const native = nativeBinary();
const bun = native === null ? findBun() : null;
if (native === null && bun === null) {
  process.stderr.write(
    "ipc: no Bun runtime found. The `bun` npm package should have been installed with agent-ipc; " +
      "reinstall without --ignore-scripts, or install Bun (https://bun.sh) and put it on PATH.\n",
  );
  process.exit(1);
}

const [command, argv] = native !== null ? [native, process.argv.slice(2)] : [bun, [MAIN, ...process.argv.slice(2)]];
const child = spawn(command, argv, { stdio: "inherit", windowsHide: true });
const forward = (signal) => () => {
  if (child.exitCode === null) child.kill(signal);
};
const signals = ["SIGINT", "SIGTERM", "SIGHUP"].filter((s) => process.platform !== "win32" || s !== "SIGHUP");
const handlers = signals.map((s) => [s, forward(s)]);
for (const [s, h] of handlers) process.on(s, h);
child.on("error", (err) => {
  process.stderr.write(`ipc: cannot run ${command}: ${err.message}\n`);
  process.exit(1);
});
child.on("exit", (code, signal) => {
  for (const [s, h] of handlers) process.off(s, h);
  if (signal !== null) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
