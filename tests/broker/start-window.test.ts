/**
 * What a broker does in the moments it starts (its listeners take clients before it has finished).
 *
 * 1. The IPC_HOME lock is never seen empty: a broker creates it (and rewrites it
 * once its port is known) by writing a private file and linking or renaming
 * it into place. Before, a reader between the truncate and the write saw no
 * owner: a restart's successor took that for "no broker", gave up, and the
 * old broker then removed the lock (tests/remote/restart-handover flaked so).
 * A second process reads the lock file as fast as it can while real brokers
 * start, hand over and stop. On the old code 2 of 5 starts showed empty reads.
 *
 * 2. A shutdown asked for in the first moment the broker answers is carried out. Before, it was
 * acknowledged and ignored (the server had not yet set its stop handler), and the broker ran on:
 * the same test hung on the old code in round 2 of 8 with a busy CPU beside it.
 */
import { expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { ipcCommand, ipcEnv, startBrokerProcess } from "../helpers/processes.ts";
import { RawClient } from "../helpers/raw.ts";

setDefaultTimeout(120_000);

/** A reader in its own process, spinning on `path` until stopped: counts reads that found the file empty. */
const READER = `
const { readFileSync } = require("node:fs");
const path = process.argv[1];
let reads = 0, empty = 0, stop = false;
process.on("SIGTERM", () => { stop = true; });
const spin = () => {
  const until = performance.now() + 50;
  while (performance.now() < until) {
    try { const t = readFileSync(path, "utf8"); reads++; if (t.length === 0) empty++; } catch {}
  }
  if (stop) { console.log(JSON.stringify({ reads, empty })); process.exit(0); }
  setImmediate(spin);
};
spin();
`;

test("no reader ever finds the lock empty while brokers start, hand over and stop", async () => {
  let reads = 0;
  let empty = 0;
  for (let round = 0; round < 5; round++) {
    const e = ipcEnv();
    const reader = Bun.spawn([process.execPath, "-e", READER, join(e.home, "broker.lock")], { stdout: "pipe", stderr: "inherit" });
    const old = await startBrokerProcess(e);
    // A restart's hand-over too: the successor waits for the lock, the old broker renames it over.
    const successor = Bun.spawn([...ipcCommand(), "serve", "--succeed", String(old.proc.pid)], { env: e.env, stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    {
      await using owner = await RawClient.connect(e.port);
      expect((await owner.call({ id: 1, op: "shutdown", successor: successor.pid })).ok).toBe(true);
    }
    expect(await old.proc.exited).toBe(0);
    successor.kill("SIGTERM");
    await successor.exited;
    reader.kill("SIGTERM");
    const counts = JSON.parse(await new Response(reader.stdout).text()) as { reads: number; empty: number };
    reads += counts.reads;
    empty += counts.empty;
  }
  expect(reads).toBeGreaterThan(0);
  expect(empty).toBe(0);
});

test("a shutdown that arrives the moment the broker first answers is carried out, not acknowledged and dropped", async () => {
  for (let round = 0; round < 8; round++) {
    const e = ipcEnv();
    const proc = Bun.spawn([...ipcCommand(), "serve"], { env: e.env, stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    // Connect as early as possible: the first connection that succeeds asks for the shutdown.
    let owner: RawClient | null = null;
    for (let i = 0; i < 2_000 && owner === null && proc.exitCode === null; i++) {
      owner = await RawClient.connect(e.port).catch(() => null);
      if (owner === null) await Bun.sleep(2);
    }
    expect(owner).not.toBeNull();
    expect((await owner!.call({ id: 1, op: "shutdown" })).ok).toBe(true);
    await owner![Symbol.asyncDispose]();
    const exited = await Promise.race([proc.exited, Bun.sleep(15_000).then(() => "still running")]);
    if (exited === "still running") proc.kill("SIGKILL");
    expect({ round, exited }).toEqual({ round, exited: 0 });
  }
});
