/** Hole 7 (issue 10): names with no session, no unread mail and no activity for 30 days are released by the sweeper. */
import { expect, test } from "bun:test";
import { manualClock, testBroker } from "../helpers/broker.ts";
import { agentOf } from "./_agents.ts";

const DAY = 86_400_000;

test("an idle name is released after 30 days; one with unread mail or a live connection is kept; a newcomer starts afresh", async () => {
  const clock = manualClock();
  await using b = await testBroker({}, { clock: clock.read });
  {
    using idle = agentOf(b, "idle");
    await idle.register("idle");
    await idle.call("send", { to: "mailbox", content: "from the first idle" });
  }
  {
    using mailbox = agentOf(b, "mailbox");
    await mailbox.register("mailbox"); // has one unread message, then goes away
  }
  using watcher = agentOf(b, "watcher");
  await watcher.register("watcher");
  await watcher.subscribe(() => {}); // stays connected

  using lister = agentOf(b);
  expect((await lister.call("list", {})).instances.map((i) => i.name)).toEqual(["idle", "mailbox", "watcher"]);

  clock.advance(29 * DAY);
  expect(b.sweep().names).toBe(0);
  clock.advance(2 * DAY);
  expect(b.sweep().names).toBe(1);
  expect([...b.broker.registry.instances.keys()].sort()).toEqual(["mailbox", "watcher"]);
  expect((await lister.call("list", {})).instances.map((i) => i.name)).toEqual(["mailbox", "watcher"]);

  // Whoever takes the name later is a new identity: nothing of the earlier holder's.
  using newcomer = agentOf(b, "idle");
  await newcomer.register("idle");
  expect((await newcomer.call("history", {})).messages).toEqual([]);
});

test("IPC_RETAIN_NAME_DAYS sets the period; 0 keeps names for ever", async () => {
  const clock = manualClock();
  await using b = await testBroker({ IPC_RETAIN_NAME_DAYS: "2" }, { clock: clock.read });
  await using forever = await testBroker({ IPC_RETAIN_NAME_DAYS: "0" }, { clock: clock.read });
  for (const broker of [b, forever]) {
    using a = agentOf(broker, "brief");
    await a.register("brief");
  }
  clock.advance(3 * DAY);
  expect(b.sweep().names).toBe(1);
  expect(forever.sweep().names).toBe(0);
  expect(forever.broker.registry.isRegistered("brief")).toBe(true);
});
