/**
 * share-command stays bounded (issue 10 hole 4): a command that writes without
 * end does not grow the CLI's memory, and a timeout kills the command's whole
 * process group, not only its first process.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { type IpcEnv, ipc, ipcCommand, ipcEnv, ipcJson, startBrokerProcess } from "../helpers/processes.ts";

/** Resident memory of `pid` in MiB (VmRSS in /proc/<pid>/status), or null once it is gone. */
function rssMiB(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m === null ? null : Number(m[1]) / 1024;
  } catch {
    return null;
  }
}

/** Pids of live processes whose argv is exactly `argv`. */
function pidsRunning(argv: string[]): number[] {
  const want = `${argv.join("\0")}\0`;
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8") === want) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function pair(e: IpcEnv): Promise<void> {
  expect((await ipc(e, ["register", "fred"])).code).toBe(0);
  expect((await ipc(e, ["register", "barney"])).code).toBe(0);
}

/** Over this, the capture keeps what it reads (before the fix: gigabytes within seconds). */
const RSS_LIMIT_MIB = 300;

describe.skipIf(process.platform !== "linux")("share-command bounds", () => {
  test("`share-command -- yes` keeps the CLI's memory bounded and sends a truncated capture", async () => {
    const e = ipcEnv({ IPC_MAX_CONTENT_BYTES: "65536" });
    await using _b = await startBrokerProcess(e);
    await pair(e);
    await using proc = Bun.spawn([...ipcCommand(), "share-command", "fred", "--as", "barney", "--timeout", "4", "--json", "--", "yes"], {
      env: e.env,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    let peak = 0;
    // Sampled until the CLI exits (its own 4 s timeout bounds this); over the limit it is stopped at once.
    while (proc.exitCode === null) {
      const rss = rssMiB(proc.pid);
      if (rss !== null) peak = Math.max(peak, rss);
      if (peak > RSS_LIMIT_MIB) {
        proc.kill("SIGKILL");
        break;
      }
      await Bun.sleep(50);
    }
    await proc.exited;
    console.error(`share-command -- yes: peak CLI RSS ${peak.toFixed(1)} MiB`);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(RSS_LIMIT_MIB);
    const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
    expect(proc.exitCode, stderr).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ to: "fred", timed_out: true, returncode: null });
    const [m] = (await ipcJson(e, ["check", "--as", "fred"])).messages;
    expect(m.data).toMatchObject({ type: "command", timed_out: true, truncated: true });
    expect(m.data.stdout).toStartWith("y\ny\ny\n");
    expect(m.data.stdout).toMatch(/… \[truncated: \d+ more bytes not shown\]$/);
  }, 30_000);

  test("a timeout kills what the command started in sessions of its own: `setsid` grandchildren leave nothing running", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await pair(e);
    const a = ["sleep", "3023"];
    const b = ["sleep", "3029"];
    try {
      const script = `setsid ${a.join(" ")} & setsid sh -c '${b.join(" ")}' & sleep 3031`;
      const r = await ipc(e, ["share-command", "fred", "--as", "barney", "--timeout", "1", "--json", "--", "sh", "-c", script]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ timed_out: true });
      for (let i = 0; i < 50 && pidsRunning(a).length + pidsRunning(b).length > 0; i++) await Bun.sleep(20);
      expect(pidsRunning(a)).toEqual([]);
      expect(pidsRunning(b)).toEqual([]);
    } finally {
      for (const pid of [...pidsRunning(a), ...pidsRunning(b), ...pidsRunning(["sleep", "3031"])]) process.kill(pid, "SIGKILL");
    }
  }, 30_000);

  test("a timeout kills the whole process group: `sh -c 'sleep A & sleep B'` leaves nothing running", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await pair(e);
    // Odd durations so these sleeps are told apart from any other on the machine.
    const a = ["sleep", "3017"];
    const b = ["sleep", "3019"];
    try {
      const r = await ipc(e, ["share-command", "fred", "--as", "barney", "--timeout", "1", "--json", "--", "sh", "-c", `${a.join(" ")} & ${b.join(" ")}`]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ timed_out: true });
      // SIGKILL was sent before the CLI returned; give the kernel a moment to reap (bounded).
      for (let i = 0; i < 50 && pidsRunning(a).length + pidsRunning(b).length > 0; i++) await Bun.sleep(20);
      expect(pidsRunning(a)).toEqual([]);
      expect(pidsRunning(b)).toEqual([]);
    } finally {
      for (const pid of [...pidsRunning(a), ...pidsRunning(b)]) process.kill(pid, "SIGKILL");
    }
  }, 30_000);

  test("a background child that holds the pipes after the command exits is killed too", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await pair(e);
    const c = ["sleep", "3023"];
    try {
      const r = await ipc(e, ["share-command", "fred", "--as", "barney", "--timeout", "30", "--json", "--", "sh", "-c", `echo started; ${c.join(" ")} & exit 0`]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ returncode: 0, timed_out: false });
      for (let i = 0; i < 50 && pidsRunning(c).length > 0; i++) await Bun.sleep(20);
      expect(pidsRunning(c)).toEqual([]);
      const [m] = (await ipcJson(e, ["check", "--as", "fred"])).messages;
      expect(m.data.stdout).toBe("started\n");
    } finally {
      for (const pid of pidsRunning(c)) process.kill(pid, "SIGKILL");
    }
  }, 30_000);
});
