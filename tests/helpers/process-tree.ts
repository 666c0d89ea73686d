/**
 * Ending a host CLI and everything it started: tmux's kill-server only hangs
 * up on the pane, and a host that ignores SIGHUP, relaunches itself in a new
 * session (Gemini CLI) or runs hooks of its own (Claude Code's rewake hook,
 * Codex's wake waiter) would outlive its tmux server.
 */

/** The processes below `pid` (children first found through `ps`), deepest last. */
export function descendants(pid: number): number[] {
  const r = Bun.spawnSync(["ps", "-e", "-o", "pid=,ppid="], { stdout: "pipe", stderr: "ignore" });
  const children = new Map<number, number[]>();
  for (const line of r.stdout.toString().split("\n")) {
    const [c, p] = line.trim().split(/\s+/).map(Number);
    if (c && p) children.set(p, [...(children.get(p) ?? []), c]);
  }
  const out: number[] = [];
  const queue = [pid];
  for (let i = 0; i < queue.length && i < 1_000; i++) for (const c of children.get(queue[i]!) ?? []) queue.push(c), out.push(c);
  return out;
}

/**
 * Ends process `pid` and every process below it: SIGTERM, then SIGKILL to what
 * is left after `graceMs`. A host CLI that relaunches itself in a new session
 * (Gemini CLI does) would otherwise outlive its tmux server.
 */
export async function killTree(pid: number | null, graceMs = 1_000): Promise<void> {
  if (pid === null) return;
  const all = [pid, ...descendants(pid)];
  const signal = (sig: NodeJS.Signals) => {
    for (const p of all) {
      try {
        process.kill(p, sig);
      } catch {}
    }
  };
  signal("SIGTERM");
  const deadline = performance.now() + graceMs;
  const alive = () => all.some((p) => {
    try {
      process.kill(p, 0);
      return true;
    } catch {
      return false;
    }
  });
  while (alive() && performance.now() < deadline) await Bun.sleep(50);
  signal("SIGKILL");
}
