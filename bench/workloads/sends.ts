/** Send throughput and acknowledgement latency: 1 × 1, 8 × 1 and 8 × 32 pipelined (durable: acked after commit). */
import { runLoad } from "../lib/load.ts";
import { cpuMicros } from "../lib/procs.ts";
import { percentile } from "../lib/stats.ts";
import type { Measurements, Timing } from "./types.ts";

/** The content of every bench send (the durable ceiling stores the same). */
export const SEND_CONTENT = "bench message payload 0123456789";

/** The send frame used everywhere (also by the echo reference, so both carry the same bytes). */
export const sendFrame = (seq: number) => `{"id":${seq},"op":"send","to":"sink","content":"${SEND_CONTENT}"}\n`;

/** Connection shapes: name, connections, requests in flight per connection. */
export type Shape = readonly [name: string, connections: number, depth: number];
export const ONE: Shape = ["1x1", 1, 1];
export const EIGHT_BY_ONE: Shape = ["8x1", 8, 1];
export const EIGHT_BY_32: Shape = ["8x32", 8, 32];
export const THROUGHPUT: Shape[] = [EIGHT_BY_ONE, EIGHT_BY_32];

/**
 * Measures send shapes against the server on `port` (`register` false for the echo server).
 * With `pid` (the server's), also `PREFIX.SHAPE.cpu`: its CPU time per answered request (µs).
 */
export async function sends(port: number, t: Timing, shapes: Shape[], prefix = "send", register = true, pid?: number): Promise<Measurements> {
  const out: Measurements = {};
  for (const [shape, connections, depth] of shapes) {
    const cpu0 = pid === undefined ? null : cpuMicros(pid);
    const r = await runLoad({
      target: { host: "127.0.0.1", port },
      connections,
      depth,
      frame: (_c, seq) => sendFrame(seq),
      setup: register ? (c) => [`{"id":0,"op":"register","name":"sender${c}"}\n`] : undefined,
      warmupMs: t.warmupMs,
      measureMs: t.measureMs,
    });
    if (r.errors > 0) throw new Error(`${prefix}.${shape}: ${r.errors} error answers`);
    out[`${prefix}.${shape}`] = r.count / r.seconds;
    out[`${prefix}.${shape}.p50`] = percentile(r.latenciesUs, 50);
    out[`${prefix}.${shape}.p99`] = percentile(r.latenciesUs, 99);
    if (cpu0 !== null) out[`${prefix}.${shape}.cpu`] = (cpuMicros(pid!)! - cpu0) / r.total;
  }
  return out;
}
