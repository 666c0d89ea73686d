/**
 * Shared by the dashboard tests: Debian's Chromium for playwright-core (no
 * browser download), a login over plain fetch, and small polling helpers.
 */
import { existsSync } from "node:fs";
import { freePort } from "../helpers/ports.ts";
import { type BrokerProcess, type IpcEnv, ipcEnv, ipcJson, startBrokerProcess } from "../helpers/processes.ts";

export const CHROMIUM = process.env.IPC_TEST_CHROMIUM ?? "/usr/bin/chromium";
/** Why the Chromium tests cannot run here, or null. */
export const chromiumSkip: string | null = existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A broker whose dashboard listens on a free port, and that dashboard's origin (`http://127.0.0.1:PORT`). */
export async function dashboardBroker(): Promise<{ e: IpcEnv; broker: BrokerProcess; origin: string }> {
  const uiPort = freePort();
  const e = ipcEnv({ IPC_UI_PORT: String(uiPort) });
  return { e, broker: await startBrokerProcess(e), origin: `http://127.0.0.1:${uiPort}` };
}

/** A fresh one-time login URL from `ipc ui --json` for the broker of `e`. */
export async function loginUrl(e: IpcEnv): Promise<string> {
  return (await ipcJson<{ url: string }>(e, ["ui"])).url;
}

/** The code in a login URL (`/?login=CODE`). */
export function codeOf(url: string): string {
  return new URL(url).searchParams.get("login") ?? "";
}

/**
 * Logs in with plain fetch, as the page does; returns the headers that carry
 * the session (whatever the dashboard hands out: a cookie or a session header).
 */
export async function login(e: IpcEnv, origin: string): Promise<Record<string, string>> {
  const code = codeOf(await loginUrl(e));
  const res = await fetch(`${origin}/api/login`, { method: "POST", headers: { origin }, body: JSON.stringify({ code }) });
  if (res.status !== 200) throw new Error(`login failed: HTTP ${res.status} ${await res.text()}`);
  const cookie = res.headers.get("set-cookie");
  if (cookie !== null) return { cookie: cookie.split(";")[0]! };
  const body = (await res.json()) as { session: string };
  return { "x-ipc-session": body.session };
}

/** Polls `check` every 50 ms until it holds or `ms` pass (then throws). */
export async function waitUntil(check: () => boolean | Promise<boolean>, ms = 10_000, what = "condition"): Promise<void> {
  for (let i = 0; i < ms / 50; i++) {
    if (await check()) return;
    await Bun.sleep(50);
  }
  throw new Error(`${what} not met within ${ms} ms`);
}
