/**
 * Which process is the AI host: the parent of `ipc mcp` or of a hook, seen
 * through the wrappers that may stand in between. Installed from npm, `ipc`
 * runs as `node …/bin/ipc.js` (our launcher) starting Bun, often under
 * `npm exec` / `npx` and a `sh -c`; each of those gets a new pid per launch,
 * so keying the host's session on the direct parent would lose it on every
 * respawn. Process details come from /proc on Linux and `ps` elsewhere.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";

/** The parent of process `pid`: /proc/<pid>/stat on Linux, `ps -o ppid= -p` elsewhere; null when unknown. */
export function parentPid(pid: number): number | null {
  try {
    if (process.platform === "linux") {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // "pid (comm) state ppid …" — comm may itself contain spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      return Number.isInteger(ppid) && ppid > 0 ? ppid : null;
    }
    if (process.platform === "win32") return null;
    const r = Bun.spawnSync(["ps", "-o", "ppid=", "-p", String(pid)], { stdout: "pipe", stderr: "ignore" });
    const ppid = Number(r.stdout.toString().trim());
    return r.exitCode === 0 && Number.isInteger(ppid) && ppid > 0 ? ppid : null;
  } catch {
    return null;
  }
}

/** The command line of process `pid` as words (a process that set its title shows it as one string); [] when unknown. */
export function processArgs(pid: number): string[] {
  try {
    let words: string[];
    if (process.platform === "linux") {
      words = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter((w) => w !== "");
      if (words.length === 1) words = words[0]!.split(" ").filter((w) => w !== "");
    } else if (process.platform === "win32") {
      return [];
    } else {
      const r = Bun.spawnSync(["ps", "-o", "args=", "-p", String(pid)], { stdout: "pipe", stderr: "ignore" });
      if (r.exitCode !== 0) return [];
      words = r.stdout.toString().trim().split(/\s+/);
    }
    return words;
  } catch {
    return [];
  }
}

const RUNTIMES = new Set(["node", "nodejs", "bun"]);
const PACKAGE_RUNNERS = new Set(["npm", "npx", "npm-cli.js", "npx-cli.js", "bunx", "pnpm", "pnpx", "yarn"]);
const OUR_COMMANDS = new Set(["ipc", "agent-ipc", "ipc.js"]);
const SHELLS = new Set(["sh", "bash", "dash", "zsh"]);

/** The basename of a command word, without quotes. */
function commandName(word: string | undefined): string {
  return basename((word ?? "").replace(/^['"]|['"]$/g, ""));
}

/**
 * True when a process with these arguments only passes `ipc` on: our npm
 * launcher, npm/npx/bunx running a package, or `sh -c` whose command starts
 * with one of those.
 */
export function isWrapper(args: readonly string[]): boolean {
  const first = commandName(args[0]);
  if (PACKAGE_RUNNERS.has(first)) return true;
  if (RUNTIMES.has(first)) {
    const script = commandName(args[1]);
    return PACKAGE_RUNNERS.has(script) || OUR_COMMANDS.has(script);
  }
  if (SHELLS.has(first) && args[1] === "-c") {
    const command = commandName(args[2]?.trim().split(/\s+/)[0]);
    return PACKAGE_RUNNERS.has(command) || OUR_COMMANDS.has(command);
  }
  return false;
}

/** The host process of this one: the nearest ancestor that is not a wrapper (at most 6 levels up). */
export function hostPid(): number {
  let pid = process.ppid;
  for (let depth = 0; depth < 6 && pid > 1; depth++) {
    if (!isWrapper(processArgs(pid))) return pid;
    const up = parentPid(pid);
    if (up === null) return pid;
    pid = up;
  }
  return pid;
}

/**
 * When process `pid` started, as an opaque string that changes when the pid
 * is reused (Linux: field 22 of /proc/<pid>/stat, in clock ticks since boot;
 * elsewhere `ps -o lstart=`); null when unknown.
 */
export function processStart(pid: number): string | null {
  try {
    if (process.platform === "linux") {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
    }
    if (process.platform === "win32") return null;
    const r = Bun.spawnSync(["ps", "-o", "lstart=", "-p", String(pid)], { stdout: "pipe", stderr: "ignore" });
    return r.exitCode === 0 ? r.stdout.toString().trim() || null : null;
  } catch {
    return null;
  }
}

/**
 * The host's own process for a hook: hostPid(), and past it the shell a host
 * runs hook commands through (`sh -c …`), which outlives nothing of interest.
 */
export function hostSessionPid(): number {
  const pid = hostPid();
  if (!SHELLS.has(commandName(processArgs(pid)[0]))) return pid;
  return parentPid(pid) ?? pid;
}
