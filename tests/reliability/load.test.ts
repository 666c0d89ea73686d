/** Load: 200 concurrent senders × 100 sends with waiting receivers: exactly once, in per-sender order. */
import { expect, test } from "bun:test";
import { ipcEnv, startBrokerProcess } from "../helpers/processes.ts";
import { RawClient } from "../helpers/raw.ts";

const SENDERS = 200;
const PER_SENDER = 100;
const RECEIVERS = 20;

test(`${SENDERS} connections × ${PER_SENDER} sends to ${RECEIVERS} waiting receivers: every message exactly once, in order`, async () => {
  const e = ipcEnv({ IPC_RATE_LIMIT: "0" });
  await using _broker = await startBrokerProcess(e);
  const receivers = await Promise.all(
    Array.from({ length: RECEIVERS }, async (_, i) => {
      const c = await RawClient.connect(e.port);
      expect((await c.call({ id: 0, op: "register", name: `r${i}` })).ok).toBe(true);
      return c;
    }),
  );
  const expected = (SENDERS / RECEIVERS) * PER_SENDER;
  // Each receiver loops on check with wait, the way an agent waits for mail.
  const received = receivers.map(async (c) => {
    const got: Array<{ from: string; seq: number }> = [];
    let id = 1;
    while (got.length < expected) {
      const r = await c.call({ id: id++, op: "check", wait: 10, limit: 1000 });
      expect(r.ok).toBe(true);
      for (const m of r.messages) got.push({ from: m.from, seq: Number(m.content) });
    }
    return got;
  });
  const senders = await Promise.all(
    Array.from({ length: SENDERS }, async (_, i) => {
      const c = await RawClient.connect(e.port);
      expect((await c.call({ id: 0, op: "register", name: `s${i}` })).ok).toBe(true);
      return c;
    }),
  );
  const t0 = performance.now();
  await Promise.all(
    senders.map(async (c, i) => {
      let batch = "";
      for (let n = 0; n < PER_SENDER; n++) batch += `${JSON.stringify({ id: n + 1, op: "send", to: `r${i % RECEIVERS}`, content: String(n) })}\n`;
      c.write(batch);
      const acks = await c.frames(PER_SENDER, 30_000);
      expect(acks.every((a) => a.ok)).toBe(true);
    }),
  );
  const all = await Promise.all(received);
  const seconds = (performance.now() - t0) / 1000;
  for (const got of all) {
    expect(got).toHaveLength(expected);
    const bySender = new Map<string, number[]>();
    for (const { from, seq } of got) bySender.set(from, [...(bySender.get(from) ?? []), seq]);
    for (const seqs of bySender.values()) expect(seqs).toEqual([...Array(PER_SENDER).keys()]);
  }
  console.log(`load: ${SENDERS * PER_SENDER} messages delivered in ${seconds.toFixed(2)} s`);
  for (const c of [...senders, ...receivers]) c.close();
}, 60_000);
