/**
 * One cgroup (v2) per test file, for `npm test` (scripts/test.ts): it measures
 * the CPU time of everything the file started — detached brokers, tmux servers
 * and the host CLIs in them included, which `getrusage` never sees — and,
 * when the file ends, kills what it left running and says so.
 *
 * Needs a writable cgroup2 mount (Linux, root, as in CI). Elsewhere
 * `FileGroups.open` returns null and the runner falls back to the `bun test`
 * process's own resource usage.
 *
 * Source: Linux Documentation/admin-guide/cgroup-v2.rst (cgroup.procs,
 * cgroup.kill since 5.14, cpu.stat `usage_usec` present without the cpu
 * controller).
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Where the cgroup2 hierarchy is mounted, or null. */
function cgroup2Mount(): string | null {
  try {
    for (const line of readFileSync("/proc/self/mounts", "utf8").split("\n")) {
      const [, dir, type] = line.split(" ");
      if (type === "cgroup2" && dir) return dir;
    }
  } catch {}
  return null;
}

/** The cgroups of one run: `<mount>/ipc-suite-<pid>/<n>`. */
export class FileGroups {
  private n = 0;
  private constructor(private readonly root: string) {}

  /** A run's group folder, or null where cgroups cannot be made (not Linux, not root, no cgroup2). */
  static open(): FileGroups | null {
    const mount = cgroup2Mount();
    if (mount === null) return null;
    const root = join(mount, `ipc-suite-${process.pid}`);
    try {
      mkdirSync(root);
      if (!existsSync(join(root, "cgroup.procs")) || !existsSync(join(root, "cpu.stat"))) {
        rmdirSync(root);
        return null;
      }
      return new FileGroups(root);
    } catch {
      return null;
    }
  }

  /**
   * A fresh group for one file. Returns the command prefix that puts the
   * process into it before it starts anything (`sh -c 'echo $$ > procs; exec "$@"'`)
   * and the group's path for `finish`.
   */
  make(): { prefix: string[]; dir: string } {
    const dir = join(this.root, String(this.n++));
    mkdirSync(dir);
    const procs = join(dir, "cgroup.procs");
    return { prefix: ["/bin/sh", "-c", `echo $$ > '${procs}' && exec "$@"`, "sh"], dir };
  }

  /**
   * Ends a file's group: gives what still runs in it `graceMs` to end on its
   * own (a wake waiter notices its host is gone within a couple of seconds),
   * then reads its CPU time (ms), kills every process still in it (returns
   * their command lines) and removes it. Waits at most ~2 s more for the
   * killed processes to go.
   */
  async finish(dir: string, graceMs = 3_000): Promise<{ cpuMs: number; leftover: string[] }> {
    for (let waited = 0; pids(dir).length > 0 && waited < graceMs; waited += 100) await Bun.sleep(100);
    const cpuMs = usageMs(dir);
    const leftover = pids(dir).map((pid) => commandLine(pid));
    if (leftover.length > 0) {
      try {
        writeFileSync(join(dir, "cgroup.kill"), "1");
      } catch {
        for (const pid of pids(dir)) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {}
        }
      }
    }
    for (let i = 0; i < 100; i++) {
      try {
        rmdirSync(dir);
        break;
      } catch {
        await Bun.sleep(20);
      }
    }
    return { cpuMs, leftover };
  }

  /** Removes the run's folder (its file groups are gone by then). */
  close(): void {
    try {
      rmdirSync(this.root);
    } catch {}
  }
}

function usageMs(dir: string): number {
  try {
    const m = /^usage_usec (\d+)$/m.exec(readFileSync(join(dir, "cpu.stat"), "utf8"));
    return m ? Number(m[1]) / 1000 : 0;
  } catch {
    return 0;
  }
}

function pids(dir: string): number[] {
  try {
    return readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ").slice(0, 160) || `pid ${pid}`;
  } catch {
    return `pid ${pid}`;
  }
}
