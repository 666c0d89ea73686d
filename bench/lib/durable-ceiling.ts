/**
 * The durable ceiling (issue 17): the most sends this machine could store if
 * the broker did nothing but store them. A bare bun:sqlite loop inserts the
 * rows `send.8x32` produces (the broker's own database: schema through the
 * real migrations, indexes, pragmas, WAL checkpoints on a worker, and the
 * way the broker stores a send: MessageStore.insertLater, drained before
 * COMMIT) committed in groups of 256, the rows 8 × 32 pipelined sends put in
 * flight: no sockets, no JSON, no validation.
 *
 * Run as `bun bench/lib/durable-ceiling.ts DIR WARMUP_MS MEASURE_MS`; prints
 * `{"rows_per_s":…,"main_cpu_us_per_row":…}` on stdout (the loop thread's CPU time
 * per row, null without /proc). DIR is a fresh directory for ipc.db.
 */
import { join } from "node:path";
import { Checkpointer } from "../../src/store/checkpointer.ts";
import { openDatabase } from "../../src/store/database.ts";
import { InstanceStore } from "../../src/store/instances.ts";
import { MessageStore } from "../../src/store/messages.ts";
import { SEND_CONTENT } from "../workloads/sends.ts";
import { threadCpuMicros } from "./procs.ts";

/** Rows per transaction: what 8 connections × 32 pipelined sends hand the broker's group commit at once. */
const GROUP = 256;

const [dir, warmupArg, measureArg] = process.argv.slice(2);
const path = join(dir!, "ipc.db");
const db = openDatabase(path);
const checkpointer = await Checkpointer.start(db, path);
const messages = new MessageStore(db);
const instances = new InstanceStore(db);
const senders = Array.from({ length: 8 }, (_, i) => `sender${i}`);
db.transaction(() => {
  for (const s of senders) instances.upsert(s, Date.now());
})();

const begin = db.prepare("BEGIN");
const commit = db.prepare("COMMIT");
let n = 0;
/** Inserts and commits one group, as the broker's group commit would. */
function group(): void {
  begin.run();
  for (let i = 0; i < GROUP; i++) {
    // "sink" never registers in send.8x32 either: its identity is null, as for a message waiting for a name.
    messages.insertLater({ sender: senders[n++ & 7]!, recipient: "sink", kind: "direct", content: SEND_CONTENT, data: null, reply_to: null, created_at: Date.now(), read_at: null });
  }
  messages.drain();
  commit.run();
}

const warmEnd = performance.now() + Number(warmupArg);
while (performance.now() < warmEnd) group();
let rows = 0;
const cpu0 = threadCpuMicros(process.pid);
const t0 = performance.now();
const end = t0 + Number(measureArg);
while (performance.now() < end) {
  group();
  rows += GROUP;
}
const seconds = (performance.now() - t0) / 1000;
const cpu1 = threadCpuMicros(process.pid);
await checkpointer?.stop();
db.close();
const mainCpu = cpu0 === null || cpu1 === null ? null : (cpu1 - cpu0) / rows;
process.stdout.write(`${JSON.stringify({ rows_per_s: rows / seconds, main_cpu_us_per_row: mainCpu })}\n`);
