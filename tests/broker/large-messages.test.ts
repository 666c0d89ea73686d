/** Large messages: kept whole, copied to a 0600 file with a header, summarised in check, whole in read. */
import { expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { summarize } from "../../src/broker/delivery/large-messages.ts";
import { testBroker } from "../helpers/broker.ts";
import { registered } from "../helpers/raw.ts";


const LOG = `Debug output shows a memory leak in the renderer. The heap grows by 2 MB per frame! ${"frame data ".repeat(2000)}`;

test("a message over 10 KiB is written to large-messages/ (0600) and summarised in check", async () => {
  await using b = await testBroker();
  await using barney = await registered(b.port, "barney");
  await using claude = await registered(b.port, "claude");
  const sent = await barney.call({ id: 1, op: "send", to: "claude", content: LOG, data: { ticket: 7 } });
  expect(sent.ok).toBe(true);

  const dir = join(b.config.home, "large-messages");
  const files = readdirSync(dir);
  expect(files).toHaveLength(1);
  expect(files[0]).toMatch(new RegExp(`^\\d{8}-\\d{6}_barney_claude_${sent.message_id}\\.md$`));
  const path = join(dir, files[0]!);
  expect(statSync(path).mode & 0o777).toBe(0o600);
  const text = readFileSync(path, "utf8");
  expect(text).toContain("- From: barney");
  expect(text).toContain("- To: claude");
  expect(text).toMatch(/- Time: \d{4}-\d\d-\d\dT/);
  expect(text).toContain("- Size: ");
  expect(text.endsWith(LOG)).toBe(true);

  const [m] = (await claude.call({ id: 2, op: "check" })).messages;
  expect(m.content).toStartWith("Debug output shows a memory leak in the renderer. The heap grows by 2 MB per frame!");
  expect(m.content).toContain(path);
  expect(m.content.length).toBeLessThan(1000);
  expect(m.data.original_size_kb).toBeGreaterThan(10);
  expect(m.data).toMatchObject({ ticket: 7, large_message_file: path });

  const full = await claude.call({ id: 3, op: "read", message_id: sent.message_id });
  expect(full.message.content).toBe(LOG);
  expect(full.message.data).toEqual({ ticket: 7 });
});

test("a refused large send writes no file", async () => {
  await using b = await testBroker({ IPC_MAX_UNREAD: "1" });
  await using s = await registered(b.port, "s");
  await using _r = await registered(b.port, "r");
  expect((await s.call({ id: 1, op: "send", to: "r", content: "small one" })).ok).toBe(true);
  const full = await s.call({ id: 2, op: "send", to: "r", content: LOG });
  expect(full).toMatchObject({ ok: false, error: { code: "INBOX_FULL" } });
  const tooBig = await s.call({ id: 3, op: "send", to: "r", content: "x".repeat(1024 * 1024 + 1) });
  expect(tooBig.error.code).toBe("TOO_LARGE");
  expect(existsSync(join(b.config.home, "large-messages"))).toBe(false);
});

test("the threshold is configurable", async () => {
  await using b = await testBroker({ IPC_LARGE_MESSAGE_BYTES: "100" });
  await using s = await registered(b.port, "s");
  await s.call({ id: 1, op: "send", to: "s", content: "y".repeat(101) });
  await s.call({ id: 2, op: "send", to: "s", content: "y".repeat(100) });
  const msgs = (await s.call({ id: 3, op: "check" })).messages;
  expect(msgs[0].data?.large_message_file).toBeString();
  expect(msgs[1].data).toBeUndefined();
});

test("summaries: two sentences, else the first 150 characters", () => {
  expect(summarize("One. Two! Three? Four.")).toBe("One. Two!");
  expect(summarize("Only one sentence here.")).toBe("Only one sentence here.");
  const noStops = "word ".repeat(100);
  expect(summarize(noStops)).toBe(`${noStops.slice(0, 150).trimEnd()}…`);
  expect(summarize(`${"z".repeat(500)}. Next.`)).toBe(`${"z".repeat(150)}…`);
});
