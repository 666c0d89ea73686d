/** Hole 8 (issue 10): a broadcast to more names than the rate burst must still go out once the bucket is full. */
import { expect, test } from "bun:test";
import { IpcError } from "../../src/protocol/errors.ts";
import { testBroker } from "../helpers/broker.ts";
import { agentOf, registerAll } from "./_agents.ts";

test("a broadcast to more recipients than the burst is payable once the bucket is full", async () => {
  // 10 tokens a second, 5 at once: an empty bucket is full again within 500 ms.
  await using b = await testBroker({ IPC_RATE_LIMIT: "600", IPC_RATE_BURST: "5" });
  await registerAll(b, ["r1", "r2", "r3", "r4", "r5", "r6"]); // burst + 1 other names
  using loud = agentOf(b, "loud");
  await loud.register("loud");
  let result: { count: number } | null = null;
  const refusals: string[] = [];
  for (let attempt = 0; attempt < 5 && result === null; attempt++) {
    await Bun.sleep(600); // the bucket is full again
    try {
      result = await loud.call("broadcast", { content: "to all" });
    } catch (err) {
      if (!(err instanceof IpcError && err.code === "RATE_LIMITED")) throw err;
      refusals.push(err.message);
    }
  }
  expect(refusals).toEqual([]);
  expect(result).toMatchObject({ count: 6 });
  // Another straight away is refused (the bucket is empty) and is payable again once it refills.
  await expect(loud.call("broadcast", { content: "again" })).rejects.toMatchObject({ code: "RATE_LIMITED" });
  await Bun.sleep(600);
  expect(await loud.call("broadcast", { content: "again" })).toMatchObject({ count: 6 });
});

test("a refused broadcast's retry hint is the time until it is payable: obeying it, the next try goes out", async () => {
  await using b = await testBroker({ IPC_RATE_LIMIT: "600", IPC_RATE_BURST: "5" });
  await registerAll(b, ["r1", "r2", "r3", "r4", "r5", "r6"]);
  using loud = agentOf(b, "loud");
  await loud.register("loud");
  await Bun.sleep(600); // full
  expect(await loud.call("broadcast", { content: "first" })).toMatchObject({ count: 6 }); // empties the bucket
  const hints: number[] = [];
  let sent = false;
  for (let attempt = 0; attempt < 30 && !sent; attempt++) {
    try {
      await loud.call("broadcast", { content: "second" });
      sent = true;
    } catch (err) {
      if (!(err instanceof IpcError && err.code === "RATE_LIMITED" && err.retryAfterMs !== undefined)) throw err;
      hints.push(err.retryAfterMs);
      await Bun.sleep(err.retryAfterMs);
    }
  }
  expect(sent).toBe(true);
  // At most the request limiter's refusal (the bucket is empty), then the broadcast's own, whose hint is the whole wait.
  expect(hints.length).toBeLessThanOrEqual(2);
});
