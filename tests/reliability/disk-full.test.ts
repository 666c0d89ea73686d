/** A write that fails halfway (disk full) fails its whole group; what is acknowledged is stored, what is not is not. */
import { expect, test } from "bun:test";
import { testBroker } from "../helpers/broker.ts";
import { registered } from "../helpers/raw.ts";

test("disk full mid-group: failed requests store nothing, later ones commit on their own", async () => {
  await using b = await testBroker({ IPC_LARGE_MESSAGE_BYTES: String(8 * 1024 * 1024) });
  await using s = await registered(b.port, "s");
  await using r1 = await registered(b.port, "r1");
  const pages = (b.broker.db.query("PRAGMA page_count").get() as { page_count: number }).page_count;
  b.broker.db.exec(`PRAGMA max_page_count = ${pages + 40}`); // room for small writes only
  // One chunk: a small send, a broadcast too big for the disk, another small send.
  s.write(
    `${JSON.stringify({ id: 1, op: "send", to: "r1", content: "before" })}\n` +
      `${JSON.stringify({ id: 2, op: "broadcast", content: "B".repeat(300_000) })}\n` +
      `${JSON.stringify({ id: 3, op: "send", to: "r1", content: "after" })}\n`,
  );
  const answers = new Map((await s.frames(3)).map((f) => [f.id, f]));
  expect(answers.get(2)).toMatchObject({ ok: false, error: { code: "INTERNAL" } });
  // The client is told the disk is full and what to do, not "internal broker error".
  expect(answers.get(2).error.message).toStartWith("disk full: ");
  expect(answers.get(2).error.message).toContain("Free space on that disk, then retry");
  expect(answers.get(3)).toMatchObject({ ok: true });
  // "before" either committed on its own (the chunk arrived in two reads) or shared the broadcast's
  // transaction and failed with it: stored exactly when it was acknowledged.
  const beforeOk = answers.get(1).ok === true;
  if (!beforeOk) expect(answers.get(1).error).toMatchObject({ code: "INTERNAL", message: expect.stringMatching(/^disk full: /) });
  b.broker.db.exec("PRAGMA max_page_count = 1073741823");
  const inbox = await r1.call({ id: 9, op: "check" });
  expect(inbox.messages.map((m: any) => m.content)).toEqual(beforeOk ? ["before", "after"] : ["after"]);
  expect((await r1.call({ id: 10, op: "whoami" })).unread).toBe(0);
  // The broker goes on as before.
  expect((await s.call({ id: 11, op: "send", to: "r1", content: "later" })).ok).toBe(true);
  expect((await r1.call({ id: 12, op: "check" })).messages.map((m: any) => m.content)).toEqual(["later"]);
});
