/**
 * Issue 10, hole 6: unauthenticated TCP connections cannot lock the owner out
 * (their own cap and deadline, a reserve for the Unix socket), and a broker at
 * its open-file limit refuses connections instead of spinning.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { ipc, ipcCommand, ipcEnv, startBrokerProcess } from "../helpers/processes.ts";
import { RawClient } from "../helpers/raw.ts";

/** Raw TCP connections that each say hello; the first frame the broker sent each (null: cut without one). */
async function flood(port: number, n: number): Promise<{ sockets: RawClient[]; first: Array<any | null> }> {
  const sockets: RawClient[] = [];
  for (let i = 0; i < n; i++) {
    const c = await RawClient.connect(port);
    c.send({ id: 1, op: "hello" });
    sockets.push(c);
  }
  const first = await Promise.all(sockets.map((c) => c.frame(5_000).catch(() => null)));
  return { sockets, first };
}

/** CPU time (user + system) of `pid` so far, in seconds (Linux /proc/PID/stat, clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

test("a flood of unauthenticated TCP connections is capped; the owner still works through the Unix socket", async () => {
  // Before the fix the 64 connections of IPC_MAX_CONNECTIONS were shared: the flood took them all.
  const e = ipcEnv({ IPC_MAX_CONNECTIONS: "64", IPC_MAX_UNAUTH_CONNECTIONS: "16" });
  await using _broker = await startBrokerProcess(e);
  await Bun.sleep(300); // the start-up probe's connection is gone
  const { sockets, first } = await flood(e.port, 100);
  try {
    const answers = first.filter((f) => f !== null);
    expect(answers.length).toBe(100);
    const refused = answers.filter((a) => a.ok === false);
    expect(answers.filter((a) => a.ok === true).length).toBeLessThanOrEqual(16);
    expect(refused.length).toBeGreaterThanOrEqual(84);
    expect(refused[0].error.code).toBe("RATE_LIMITED");
    expect(refused[0].error.message).toContain("IPC_MAX_UNAUTH_CONNECTIONS");
    // The owner's CLI goes through the Unix socket, which the flood cannot fill.
    const reg = await ipc(e, ["register", "owner"]);
    expect(reg.stderr).toBe("");
    expect(reg.code).toBe(0);
    const sent = await ipc(e, ["send", "owner", "still here", "--as", "owner"]);
    expect(sent.code).toBe(0);
  } finally {
    for (const s of sockets) s.close();
  }
}, 60_000);

test("without the Unix socket, the owner refused over TCP is told the real cause, not \"not an ipc broker\"", async () => {
  const e = ipcEnv({ IPC_SOCKET: "off", IPC_MAX_UNAUTH_CONNECTIONS: "8" });
  await using _broker = await startBrokerProcess(e);
  await Bun.sleep(300); // the start-up probe's connection is gone
  const { sockets } = await flood(e.port, 12);
  try {
    const r = await ipc(e, ["status", "--no-spawn"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("refused the connection");
    expect(r.stderr).toContain("IPC_MAX_UNAUTH_CONNECTIONS");
    expect(r.stderr).not.toContain("not an ipc broker");
  } finally {
    for (const s of sockets) s.close();
  }
}, 30_000);

test("a TCP connection that does not authenticate in time is closed, however busy; a registered one stays", async () => {
  const e = ipcEnv({ IPC_AUTH_TIMEOUT: "1" });
  await using _broker = await startBrokerProcess(e);
  await using chatty = await RawClient.connect(e.port);
  await using bound = await RawClient.connect(e.port);
  expect((await bound.call({ id: 1, op: "register", name: "bound" })).ok).toBe(true);
  // Keeps itself busy with hello (as the flood in the issue did every 20 s), never authenticates.
  for (let i = 0; i < 40 && !chatty.closed; i++) {
    chatty.send({ id: i, op: "hello" });
    await Bun.sleep(100);
  }
  expect(chatty.closed).toBe(true);
  const rest = (await chatty.readToClose()).trim().split("\n").map((l) => JSON.parse(l));
  const last = rest.at(-1);
  expect(last).toMatchObject({ id: null, ok: false, error: { code: "UNAUTHENTICATED" } });
  expect(last.error.message).toContain("IPC_AUTH_TIMEOUT");
  expect(bound.closed).toBe(false);
  expect((await bound.call({ id: 2, op: "whoami" })).name).toBe("bound");
}, 30_000);

test.skipIf(process.platform !== "linux")(
  "under `ulimit -n 256` the broker refuses what does not fit, names the limit, keeps the owner's reserve and does not spin",
  async () => {
    // The caps asked for are far above what 256 descriptors allow: the broker must keep them under its limit.
    const e = ipcEnv({ IPC_MAX_CONNECTIONS: "4096", IPC_MAX_UNAUTH_CONNECTIONS: "0" });
    e.cmd = ["sh", "-c", 'ulimit -n 256 && exec "$0" "$@"', ...ipcCommand()];
    await using broker = await startBrokerProcess(e);
    const pid = broker.proc.pid;
    const { sockets, first } = await flood(e.port, 400);
    try {
      const answered = first.filter((f) => f !== null);
      const refused = answered.filter((a) => a.ok === false);
      expect(answered.filter((a) => a.ok === true).length).toBeGreaterThan(100);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused[0].error.message).toContain("open-file limit");
      // Held at its limit with the flood still connected, the broker idles (it spun at ~95 % before).
      const cpu0 = cpuSeconds(pid);
      const t0 = performance.now();
      await Bun.sleep(2_000);
      const share = (cpuSeconds(pid) - cpu0) / ((performance.now() - t0) / 1000);
      expect(share).toBeLessThan(0.15);
      // The owner still gets in through the Unix socket's reserve.
      const reg = await ipc(e, ["register", "owner"]);
      expect(reg.stderr).toBe("");
      expect(reg.code).toBe(0);
    } finally {
      for (const s of sockets) s.close();
    }
  },
  60_000,
);
