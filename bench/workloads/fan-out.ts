/**
 * Fan-out: one broadcast to many agents, each waiting in `check` on its own
 * connection; the time from the broadcast leaving the sender until the last
 * of them has it. One figure per round, p50 over the rounds.
 */
import { closeAll, openAgents } from "../lib/agents.ts";
import { Lines } from "../lib/lines.ts";
import { percentile } from "../lib/stats.ts";
import type { Measurements } from "./types.ts";

export async function fanOut(port: number, agents: number, rounds: number): Promise<Measurements> {
  const receivers = await openAgents(port, agents, (i) => `fan${i}`);
  const sender = await Lines.open(port);
  await sender.call({ id: 0, op: "register", name: "fan-sender" });
  const lastIn: number[] = [];
  try {
    for (let round = 0; round < rounds + 1; round++) {
      // Frames on one connection are handled in order: once whoami is answered, the check is held.
      await Promise.all(
        receivers.map(async (r) => {
          r.write(`{"id":1,"op":"check","wait":30}\n{"id":2,"op":"whoami"}\n`);
          await r.next();
        }),
      );
      let last = 0;
      const arrived = receivers.map((r) =>
        r.next().then((line) => {
          last = Math.max(last, performance.now());
          if (!line.includes(`fan-out ${round}`)) throw new Error(`a receiver got ${line.slice(0, 200)}`);
        }),
      );
      const t0 = performance.now();
      sender.write(`{"id":${round},"op":"broadcast","content":"fan-out ${round}"}\n`);
      await Promise.all(arrived);
      const answer = JSON.parse(await sender.next());
      if (answer.count !== agents) throw new Error(`the broadcast reached ${answer.count} of ${agents}: ${JSON.stringify(answer).slice(0, 200)}`);
      if (round > 0) lastIn.push(last - t0);
    }
  } finally {
    sender.close();
    closeAll(receivers);
  }
  return { "fanout.last.p50": percentile(lastIn, 50), "fanout.last.max": Math.max(...lastIn) };
}
