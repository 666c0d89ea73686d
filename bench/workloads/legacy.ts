/** The legacy protocol as its clients use it: one connection per request (connect, write, read to close), with the shared secret. */
import { legacyProof } from "../../src/protocol/auth.ts";
import { BENCH_SECRET } from "../lib/auth.ts";
import { legacyRequest } from "../lib/lines.ts";
import type { Measurements, Timing } from "./types.ts";

async function loop(port: number, body: string, until: number, onDone: () => void): Promise<void> {
  while (performance.now() < until) {
    const reply = await legacyRequest(port, body);
    if (!reply.startsWith('{"status":"ok"')) throw new Error(`legacy send failed: ${reply}`);
    onDone();
  }
}

export async function legacy(port: number, t: Timing): Promise<Measurements> {
  const reg = JSON.parse(await legacyRequest(port, JSON.stringify({ action: "register", instance_id: "legacy-bench", auth_token: legacyProof("legacy-bench", BENCH_SECRET) })));
  const body = JSON.stringify({ action: "send", from_id: "legacy-bench", to_id: "sink", message: { content: "legacy payload" }, session_token: reg.session_token });
  const out: Measurements = {};
  for (const clients of [1, 8]) {
    let count = 0;
    let measuring = false;
    const end = performance.now() + t.warmupMs + t.measureMs;
    const loops = Array.from({ length: clients }, () => loop(port, body, end, () => measuring && count++));
    await Bun.sleep(t.warmupMs);
    measuring = true;
    const t0 = performance.now();
    await Promise.all(loops);
    out[`legacy.sends.${clients}`] = count / ((performance.now() - t0) / 1000);
  }
  return out;
}
