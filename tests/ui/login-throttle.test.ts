/**
 * Issue 22, hole 7: logins were not throttled — 3 000 wrong codes were tried
 * in 2.6 s, each scanning every live code. Done as the attacker did it: 3 000
 * wrong codes over HTTP. Past a small burst every attempt is refused with 429
 * and `Retry-After` before any code is looked up; the owner's real code is not
 * spent by that, and works once the throttle lets attempts through again.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type BrokerProcess, type IpcEnv } from "../helpers/processes.ts";
import { codeOf, dashboardBroker, loginUrl, waitUntil } from "./_ui.ts";

let e: IpcEnv;
let broker: BrokerProcess;
let origin: string;

beforeAll(async () => {
  ({ e, broker, origin } = await dashboardBroker());
});

afterAll(async () => {
  await broker?.stop();
});

const attempt = (code: string) => fetch(`${origin}/api/login`, { method: "POST", headers: { origin }, body: JSON.stringify({ code }) });

test("3 000 wrong codes: past the burst all are throttled, and the owner's code still works afterwards", async () => {
  const real = codeOf(await loginUrl(e));
  const statuses = new Map<number, number>();
  let retryAfter: string | null = null;
  for (let batch = 0; batch < 200; batch++) {
    // 15 at a time: as many connections as a browser would use, under the dashboard's connection cap.
    const replies = await Promise.all(Array.from({ length: 15 }, (_, i) => attempt(`wrong-${batch}-${i}-${"x".repeat(30)}`)));
    for (const r of replies) {
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (r.status === 429) retryAfter ??= r.headers.get("retry-after");
      await r.body?.cancel();
    }
  }
  const refused = statuses.get(401) ?? 0;
  const throttled = statuses.get(429) ?? 0;
  expect(refused + throttled).toBe(3_000);
  expect(throttled).toBeGreaterThan(2_900);
  expect(refused).toBeGreaterThan(0);
  expect(Number(retryAfter)).toBeGreaterThan(0);
  // The real code was never looked up while throttled, so it is not spent: it works once attempts go through again.
  await waitUntil(async () => (await attempt(real)).status === 200, 30_000, "the owner's login");
}, 120_000);
