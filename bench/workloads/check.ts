/**
 * check: latency and rate one at a time (empty inbox; 10 messages waiting),
 * and messages delivered per second under load.
 */
import { Lines } from "../lib/lines.ts";
import { runLoad } from "../lib/load.ts";
import { percentile } from "../lib/stats.ts";
import type { Measurements, Timing } from "./types.ts";

export async function checkOneAtATime(port: number, t: Timing, prefix = "check"): Promise<Measurements> {
  const out: Measurements = {};
  const target = { host: "127.0.0.1", port };

  // 1. Empty inbox, one connection, one request at a time.
  const empty = await runLoad({
    target,
    connections: 1,
    depth: 1,
    frame: (_c, seq) => `{"id":${seq},"op":"check"}\n`,
    setup: () => [`{"id":0,"op":"register","name":"idle-reader"}\n`],
    warmupMs: t.warmupMs,
    measureMs: t.measureMs,
  });
  out[`${prefix}.empty`] = empty.count / empty.seconds;
  out[`${prefix}.empty.p50`] = percentile(empty.latenciesUs, 50);

  // 2. Ten messages waiting: refill (not timed), then time the check that takes all ten.
  const reader = await Lines.open(port);
  const filler = await Lines.open(port);
  await reader.call({ id: 0, op: "register", name: "reader10" });
  await filler.call({ id: 0, op: "register", name: "filler" });
  const ten = `${'{"op":"send","to":"reader10","content":"one of ten"}\n'.repeat(10)}`;
  const lat: number[] = [];
  const deadline = performance.now() + t.warmupMs + t.measureMs;
  const warmEnd = performance.now() + t.warmupMs;
  while (performance.now() < deadline) {
    filler.write(ten);
    for (let i = 0; i < 10; i++) await filler.next();
    const t0 = performance.now();
    const r = await reader.call({ id: 1, op: "check" });
    const t1 = performance.now();
    if (r.messages.length !== 10) throw new Error(`check returned ${r.messages.length} of 10`);
    if (t0 > warmEnd) lat.push((t1 - t0) * 1000);
  }
  out[`${prefix}.ten`] = lat.length / (lat.reduce((a, b) => a + b, 0) / 1e6);
  out[`${prefix}.ten.p50`] = percentile(lat, 50);
  reader.close();
  filler.close();
  return out;
}

/** Messages delivered per second: 4 senders × 32 in flight to one reader looping on check. */
export async function delivered(port: number, t: Timing, prefix = "check"): Promise<Measurements> {
  const out: Measurements = {};
  const target = { host: "127.0.0.1", port };
  // 3. Delivered: 4 senders × 32 in flight to one reader looping on check (limit 1000).
  const drain = await Lines.open(port);
  await drain.call({ id: 0, op: "register", name: "drain" });
  let delivered = 0;
  let measuring = false;
  let running = true;
  const reading = (async () => {
    let id = 1;
    while (running) {
      const r = await drain.call({ id: id++, op: "check", wait: 1, limit: 1000 });
      if (measuring) delivered += r.messages.length;
    }
  })();
  const load = runLoad({
    target,
    connections: 4,
    depth: 32,
    frame: (_c, seq) => `{"id":${seq},"op":"send","to":"drain","content":"delivered ${seq}"}\n`,
    setup: (c) => [`{"id":0,"op":"register","name":"feeder${c}"}\n`],
    warmupMs: t.warmupMs,
    measureMs: t.measureMs,
  });
  await Bun.sleep(t.warmupMs + 50);
  measuring = true;
  const t0 = performance.now();
  await Bun.sleep(t.measureMs - 100);
  measuring = false;
  out[`${prefix}.delivered`] = delivered / ((performance.now() - t0) / 1000);
  await load;
  running = false;
  await reading;
  drain.close();
  return out;
}
