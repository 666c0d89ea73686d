/**
 * A broadcast on the dashboard, in Debian's Chromium against a real broker:
 * one message however many copies it was stored as (live, and after a
 * reload), whose state is its copies' reach ("read by 1/3"), changing live
 * as its recipients read theirs. It used to show no state at all, and live
 * one item per copy.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import type { BrokerProcess, IpcEnv } from "../helpers/processes.ts";
import { registered } from "../helpers/raw.ts";
import type { RawClient } from "../helpers/raw.ts";
import { CHROMIUM, CHROMIUM_FLAGS, chromiumSkip, dashboardBroker, loginUrl } from "./_ui.ts";

let e: IpcEnv;
let broker: BrokerProcess;
let browser: Browser;
let page: Page;
const agents = new Map<string, RawClient>();
const errors: string[] = [];

beforeAll(async () => {
  if (chromiumSkip !== null) return;
  ({ e, broker } = await dashboardBroker());
  for (const name of ["sender", "ann", "bob", "cid"]) agents.set(name, await registered(e.port, name));
  const { chromium } = await import("playwright-core");
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on("pageerror", (err) => errors.push(err.message));
  await page.goto(await loginUrl(e));
  await page.locator("#live.on").waitFor();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  for (const c of agents.values()) await c[Symbol.asyncDispose]();
  await broker?.stop();
});

let nextId = 1;
async function call(name: string, req: Record<string, unknown>): Promise<any> {
  const r = await agents.get(name)!.call({ id: nextId++, ...req });
  if (r.ok !== true) throw new Error(`${name} ${String(req.op)}: ${JSON.stringify(r)}`);
  return r;
}

describe.skipIf(chromiumSkip !== null)("a broadcast on the dashboard", () => {
  test("shows once, with its copies' reach, changing live as its recipients read", async () => {
    const first = await call("sender", { op: "broadcast", content: "Deploy freeze starts at five" });
    expect(first.count).toBe(3);
    const conversation = page.locator("#conversations button", { hasText: "everyone (broadcasts)" });
    await conversation.waitFor();
    await conversation.click();
    await page.locator("#title", { hasText: "everyone (broadcasts)" }).waitFor();
    // One item for the three copies, under the first copy's id, nobody has read theirs.
    const items = page.locator("#messages .msg", { hasText: "Deploy freeze starts at five" });
    await items.first().waitFor();
    expect(await items.count()).toBe(1);
    const id = Math.min(...first.message_ids);
    const chip = page.locator(`#m${id} .state`);
    await chip.filter({ hasText: "read by 0/3" }).waitFor();
    // A recipient reads its copy: the broadcast's reach moves, live.
    await call("bob", { op: "check" });
    await chip.filter({ hasText: "read by 1/3" }).waitFor();
    expect(await chip.getAttribute("title")).toContain("1 of 3 recipients read their copy; unread: ann, cid");

    // A broadcast sent while the conversation is open arrives as one item too, not one per copy.
    const second = await call("sender", { op: "broadcast", content: "Freeze lifted" });
    const secondChip = page.locator(`#m${Math.min(...second.message_ids)} .state`);
    await secondChip.filter({ hasText: "read by 0/3" }).waitFor();
    expect(await page.locator("#messages .msg", { hasText: "Freeze lifted" }).count()).toBe(1);
    for (const name of ["ann", "bob", "cid"]) await call(name, { op: "check" });
    await secondChip.filter({ hasText: "read by 3/3" }).waitFor();
    await chip.filter({ hasText: "read by 3/3" }).waitFor();
    expect(await secondChip.getAttribute("class")).toContain("s-read");

    // After a reload, the same: one item each, as read as they are.
    await page.goto(await loginUrl(e));
    await page.locator("#conversations button", { hasText: "everyone (broadcasts)" }).click();
    await page.locator(`#m${id} .state`, { hasText: "read by 3/3" }).waitFor();
    expect(await page.locator("#messages .msg", { hasText: "Freeze lifted" }).count()).toBe(1);
    expect(await page.locator("#messages .msg", { hasText: "Deploy freeze starts at five" }).count()).toBe(1);
    expect(errors).toEqual([]);
  });
});
