/**
 * The broker never writes or chmods through a symbolic link in
 * large-messages/ (issue 10 hole 10e): a planted link to another file, or the
 * folder itself replaced by a link, leaves the target untouched, and the
 * message is still delivered whole from the database.
 */
import { expect, test } from "bun:test";
import { chmodSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { largeMessagePath } from "../../src/broker/delivery/large-messages.ts";
import { manualClock, testBroker } from "../helpers/broker.ts";
import { registered } from "../helpers/raw.ts";
import { tempHome } from "../helpers/processes.ts";

const BIG = `A long report. ${"line of text ".repeat(2000)}`;

/** A file outside IPC_HOME standing for the user's ~/.bashrc, mode 0644. */
function victim(): string {
  const path = join(tempHome("ipc-victim-"), "bashrc");
  writeFileSync(path, "original\n");
  chmodSync(path, 0o644);
  return path;
}

test("a symlink planted at the next large message's name is not written through", async () => {
  const clock = manualClock(Date.UTC(2026, 0, 2, 3, 4, 5));
  const home = tempHome();
  const target = victim();
  const hard = victim();
  mkdirSync(join(home, "large-messages"), { mode: 0o700 });
  // Message 1 and 2 will be barney → fred at this exact second: their file names are predictable.
  const first = largeMessagePath(join(home, "large-messages"), clock.now, "barney", "fred", 1);
  const second = largeMessagePath(join(home, "large-messages"), clock.now, "barney", "fred", 2);
  symlinkSync(target, first);
  linkSync(hard, second); // a hard link would be emptied by a plain open(O_TRUNC)
  await using b = await testBroker({}, { home, clock: clock.read });
  await using barney = await registered(b.port, "barney");
  await using fred = await registered(b.port, "fred");
  const one = await barney.call({ id: 1, op: "send", to: "fred", content: BIG });
  const two = await barney.call({ id: 2, op: "send", to: "fred", content: BIG });
  expect([one.message_id, two.message_id]).toEqual([1, 2]);
  expect(readFileSync(target, "utf8")).toBe("original\n");
  expect(readFileSync(hard, "utf8")).toBe("original\n");
  expect(statSync(target).mode & 0o777).toBe(0o644);
  expect(statSync(hard).mode & 0o777).toBe(0o644);
  // Delivered whole all the same.
  expect((await fred.call({ id: 3, op: "read", message_id: 1 })).message.content).toBe(BIG);
});

test("large-messages/ replaced by a symlink to another folder: nothing is written there", async () => {
  const home = tempHome();
  const elsewhere = tempHome("ipc-elsewhere-");
  chmodSync(elsewhere, 0o755);
  symlinkSync(elsewhere, join(home, "large-messages"));
  await using b = await testBroker({}, { home });
  await using barney = await registered(b.port, "barney");
  await using fred = await registered(b.port, "fred");
  const sent = await barney.call({ id: 1, op: "send", to: "fred", content: BIG });
  expect(sent.ok).toBe(true);
  expect(readdirSync(elsewhere)).toEqual([]);
  expect(statSync(elsewhere).mode & 0o777).toBe(0o755);
  expect((await fred.call({ id: 2, op: "read", message_id: sent.message_id })).message.content).toBe(BIG);
});

test("starting the broker does not chmod the targets of links in large-messages/ or sessions/", async () => {
  const home = tempHome();
  const target = victim();
  const dirTarget = tempHome("ipc-elsewhere-");
  writeFileSync(join(dirTarget, "inside"), "x");
  chmodSync(join(dirTarget, "inside"), 0o644);
  chmodSync(dirTarget, 0o755);
  mkdirSync(join(home, "large-messages"), { mode: 0o700 });
  symlinkSync(target, join(home, "large-messages", "20260101-000000_a_b_1.md"));
  symlinkSync(dirTarget, join(home, "sessions"));
  {
    await using _b = await testBroker({}, { home });
  }
  expect(statSync(target).mode & 0o777).toBe(0o644);
  expect(statSync(dirTarget).mode & 0o777).toBe(0o755);
  expect(statSync(join(dirTarget, "inside")).mode & 0o777).toBe(0o644);
  rmSync(join(home, "sessions"));
});
