/**
 * What a docs page started, found and stopped (tests/docs/_run-page.ts): every
 * process whose environment or command line mentions the page's own
 * temporary folder (its HOME is there), so a broker started with
 * `serve --detach` or a `nats-server &` is found too. Linux /proc.
 */
import { readFileSync, readdirSync } from "node:fs";

/** The pids of processes whose environment or command line mentions `root` (Linux /proc). */
export function processesUnder(root: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8");
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (environ.includes(root) || cmdline.includes(root)) out.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/** Stops everything the page left running, what it starts meanwhile too: SIGTERM, then SIGKILL after 5 s. */
export async function stopAll(root: string): Promise<void> {
  const deadline = performance.now() + 5_000;
  const termed = new Set<number>();
  for (let pids = processesUnder(root); pids.length > 0; pids = processesUnder(root)) {
    if (performance.now() > deadline) {
      for (const pid of pids) signal(pid, "SIGKILL");
      await Bun.sleep(50);
      if (performance.now() > deadline + 2_000) break;
      continue;
    }
    for (const pid of pids.filter((p) => !termed.has(p))) {
      termed.add(pid);
      signal(pid, "SIGTERM");
    }
    await Bun.sleep(50);
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone
  }
}

/** The pids whose parent is `pid` (Linux /proc). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
