/** Push latency: from a send leaving the sender to the message reaching a waiting receiver. */
import { Lines } from "../lib/lines.ts";
import { percentile } from "../lib/stats.ts";
import type { Measurements, Timing } from "./types.ts";

export async function push(port: number, t: Timing): Promise<Measurements> {
  const receiver = await Lines.open(port);
  const sender = await Lines.open(port);
  await receiver.call({ id: 0, op: "register", name: "pushed" });
  await sender.call({ id: 0, op: "register", name: "pusher" });
  const viaCheck: number[] = [];
  for (let i = 0; i < t.samples + 10; i++) {
    // Frames on one connection are handled in order: once whoami is answered, the check is held.
    receiver.write(`{"id":${i + 1},"op":"check","wait":10}\n{"id":0,"op":"whoami"}\n`);
    await receiver.next();
    const t0 = performance.now();
    sender.write(`{"id":${i + 1},"op":"send","to":"pushed","content":"ping ${i}"}\n`);
    await receiver.next();
    const t1 = performance.now();
    await sender.next();
    if (i >= 10) viaCheck.push((t1 - t0) * 1000);
  }
  await receiver.call({ id: 0, op: "subscribe" });
  const viaSubscribe: number[] = [];
  for (let i = 0; i < t.samples + 10; i++) {
    const t0 = performance.now();
    sender.write(`{"id":${i + 1},"op":"send","to":"pushed","content":"event ${i}"}\n`);
    await receiver.next();
    const t1 = performance.now();
    await sender.next();
    if (i >= 10) viaSubscribe.push((t1 - t0) * 1000);
  }
  receiver.close();
  sender.close();
  return {
    "push.check.p50": percentile(viaCheck, 50),
    "push.check.p99": percentile(viaCheck, 99),
    "push.subscribe.p50": percentile(viaSubscribe, 50),
    "push.subscribe.p99": percentile(viaSubscribe, 99),
  };
}
