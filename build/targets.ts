/**
 * The release matrix: each target's Bun compile target, the npm package that
 * carries that Bun runtime (for cross-compiling), and the npm `os`/`cpu`/`libc`
 * of our own per-platform package (build/npm-packages.ts, bin/ipc.js).
 */

/** One release target. `name` is the suffix of the archive and of the npm package `agent-ipc-<name>`. */
export interface Target {
  name: string;
  bun: Bun.Build.CompileTarget;
  npm: string;
  exe: string;
  os: "linux" | "darwin" | "win32";
  cpu: "x64" | "arm64";
  libc?: "glibc" | "musl";
}

export const TARGETS: Target[] = [
  { name: "linux-x64", bun: "bun-linux-x64", npm: "@oven/bun-linux-x64", exe: "ipc", os: "linux", cpu: "x64", libc: "glibc" },
  { name: "linux-x64-musl", bun: "bun-linux-x64-musl", npm: "@oven/bun-linux-x64-musl", exe: "ipc", os: "linux", cpu: "x64", libc: "musl" },
  { name: "linux-arm64", bun: "bun-linux-arm64", npm: "@oven/bun-linux-aarch64", exe: "ipc", os: "linux", cpu: "arm64", libc: "glibc" },
  { name: "darwin-x64", bun: "bun-darwin-x64", npm: "@oven/bun-darwin-x64", exe: "ipc", os: "darwin", cpu: "x64" },
  { name: "darwin-arm64", bun: "bun-darwin-arm64", npm: "@oven/bun-darwin-aarch64", exe: "ipc", os: "darwin", cpu: "arm64" },
  { name: "windows-x64", bun: "bun-windows-x64", npm: "@oven/bun-windows-x64", exe: "ipc.exe", os: "win32", cpu: "x64" },
];

/** The target of this machine, or undefined when the matrix has none (e.g. Linux arm64 with musl). */
export function hostTarget(): Target | undefined {
  const report = process.report?.getReport?.() as { header?: { glibcVersionRuntime?: string } } | undefined;
  const libc = process.platform !== "linux" ? undefined : report?.header?.glibcVersionRuntime ? "glibc" : "musl";
  return TARGETS.find((t) => t.os === process.platform && t.cpu === process.arch && t.libc === libc);
}
