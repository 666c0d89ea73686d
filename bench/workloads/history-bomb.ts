/**
 * The history bomb (issue 10, hole 3): eight 1 MB messages in one name's
 * history, then `{"op":"history","limit":10}` × 500 pipelined in one write and
 * a close, then 8 connections × 200 the same way, while 4 other clients ask
 * `whoami` one at a time. Reports the broker's peak RSS (VmHWM: this broker
 * serves nothing else) and the other clients' latency.
 */
import { readFileSync } from "node:fs";
import { Lines } from "../lib/lines.ts";
import { rssMiB } from "../lib/procs.ts";
import { percentile } from "../lib/stats.ts";
import type { Measurements, Timing } from "./types.ts";

/** Peak resident memory of `pid` since it started, in MiB (Linux VmHWM; elsewhere the current RSS). */
async function peakMiB(pid: number): Promise<number> {
  if (process.platform !== "linux") return rssMiB(pid);
  const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m![1]) / 1024;
}

/** Writes `text` on a new connection at once and closes it without reading. */
async function fireAndClose(port: number, text: string): Promise<void> {
  const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {}, error() {} } });
  s.write(text);
  s.end();
}

export async function historyBomb(port: number, pid: number, t: Timing): Promise<Measurements> {
  const bomber = await Lines.open(port);
  const { token } = await bomber.call({ id: 0, op: "register", name: "bomber" });
  const big = "x".repeat(1_000_000);
  for (let i = 0; i < 8; i++) await bomber.call({ id: i + 1, op: "send", to: "peer", content: `${i}${big}` });
  bomber.close();

  const others = await Promise.all([0, 1, 2, 3].map(() => Lines.open(port)));
  for (const [i, o] of others.entries()) await o.call({ id: 0, op: "register", name: `other${i}` });
  const latencies: number[] = [];
  let running = true;
  const askers = others.map(async (o) => {
    for (let i = 1; running; i++) {
      const t0 = performance.now();
      o.write(`{"id":${i},"op":"whoami"}\n`);
      await o.next();
      latencies.push(performance.now() - t0);
      await Bun.sleep(5);
    }
  });

  const auth = `${JSON.stringify({ id: 0, op: "auth", token })}\n`;
  const bomb = (n: number) => auth + `${JSON.stringify({ op: "history", limit: 10 })}\n`.repeat(n);
  await fireAndClose(port, bomb(500));
  await Promise.all(Array.from({ length: 8 }, () => fireAndClose(port, bomb(200))));
  await Bun.sleep(Math.max(1_000, t.measureMs));
  running = false;
  await Promise.all(askers);
  for (const o of others) o.close();
  return {
    "bomb.rss.peak": await peakMiB(pid),
    "bomb.others.p50": percentile(latencies, 50),
    "bomb.others.p99": percentile(latencies, 99),
  };
}
