/**
 * Crash safety: no acknowledged message is lost when the broker is SIGKILLed
 * mid-stream; the database is never left locked; a corrupt database is a
 * clear error, never a silent fresh start.
 */
import { expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ipc, ipcEnv, startBrokerProcess } from "../helpers/processes.ts";
import { RawClient } from "../helpers/raw.ts";

const TOTAL = 5_000;
const WINDOW = 64;
export const KILL_ROUNDS = 5;

/** Streams TOTAL sends (WINDOW in flight) until the connection dies, calling `onAck` after each acknowledgement. */
async function streamSends(port: number, token: string, acked: Map<number, string>, onAck: () => void): Promise<void> {
  const c = await RawClient.connect(port);
  let next = 0;
  let inFlight = 0;
  const contentOf = new Map<number, string>();
  const pump = () => {
    let batch = "";
    while (inFlight < WINDOW && next < TOTAL) {
      const content = `m${next}`;
      contentOf.set(next, content);
      batch += `${JSON.stringify({ id: next, op: "send", to: "sink", content, token })}\n`;
      next++;
      inFlight++;
    }
    if (batch) c.write(batch);
  };
  pump();
  try {
    while (acked.size < TOTAL) {
      const r = await c.frame(5_000);
      inFlight--;
      if (r.ok) acked.set(r.message_id, contentOf.get(r.id)!);
      else throw new Error(`send refused: ${JSON.stringify(r.error)}`);
      onAck();
      pump();
    }
  } catch (err) {
    // The broker was killed: whatever was acknowledged so far must survive.
    if ((err as Error).message.startsWith("send refused")) throw err;
  }
}

test(`SIGKILL at a random moment during ${TOTAL} sends loses no acknowledged message (${KILL_ROUNDS} rounds)`, async () => {
  for (let round = 0; round < KILL_ROUNDS; round++) {
    const e = ipcEnv({ IPC_RATE_LIMIT: "0" });
    const broker = await startBrokerProcess(e);
    const reg = await (await RawClient.connect(e.port)).call({ id: 1, op: "register", name: "writer" });
    await (await RawClient.connect(e.port)).call({ id: 1, op: "register", name: "sink" });
    const acked = new Map<number, string>();
    // SIGKILL at a random moment of the stream: after a random number of acknowledgements, with
    // the next windows of sends already in flight (some committed, some not).
    const killAt = 200 + Math.floor(Math.random() * (TOTAL - 1000));
    let killed: Promise<number> | undefined;
    await streamSends(e.port, reg.token, acked, () => {
      if (acked.size >= killAt) killed ??= broker.kill();
    });
    await killed;
    expect(acked.size).toBeGreaterThan(0);
    expect(acked.size).toBeLessThan(TOTAL);

    // A new broker starts at once on the same files (no stale lock, no locked database).
    await using _again = await startBrokerProcess(e);
    await using sink = await RawClient.connect(e.port);
    await sink.call({ id: 1, op: "register", name: "sink" });
    const seen = new Map<number, string>();
    const contents = new Set<string>();
    for (;;) {
      const page = await sink.call({ id: 2, op: "check", limit: 1000 });
      if (page.messages.length === 0) break;
      for (const m of page.messages) {
        expect(seen.has(m.id)).toBe(false);
        expect(contents.has(m.content)).toBe(false);
        seen.set(m.id, m.content);
        contents.add(m.content);
      }
    }
    for (const [id, content] of acked) expect(seen.get(id)).toBe(content);
    console.log(`kill round ${round + 1}: ${acked.size} of ${TOTAL} sends acknowledged before SIGKILL, all ${acked.size} found once after restart (${seen.size} stored)`);
  }
}, 60_000);

test("a corrupt database is a clear error naming the file, and is left untouched", async () => {
  const e = ipcEnv();
  const db = join(e.home, "ipc.db");
  const garbage = Buffer.from("this is not a sqlite database at all ".repeat(200));
  writeFileSync(db, garbage);
  const r = await ipc(e, ["serve"]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(db);
  expect(r.stderr).toContain("corrupt or not an ipc database");
  expect(r.stderr).toContain("move the file aside");
  expect(readFileSync(db).equals(garbage)).toBe(true);
  // Clients report it too, instead of silently starting elsewhere.
  const client = await ipc(e, ["list"]);
  expect(client.code).not.toBe(0);
  expect(readFileSync(join(e.home, "broker.log"), "utf8")).toContain("corrupt or not an ipc database");
});
