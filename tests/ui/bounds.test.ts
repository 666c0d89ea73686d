/**
 * Issue 22, hole 4: dashboard replies were unbounded — 60 messages each
 * carrying 3.5 MB of `data` made `/api/conversations` 175 MB and the broker
 * 1.2 GiB. Done as the attacker did it (60 such messages to 60 names, then the
 * dashboard's views and its live feed): lists summarise `data`, every reply and
 * every push is capped, and a whole message is counted in the broker's shared
 * output budget (IPC_MAX_HELD_OUTPUT_BYTES), so one that does not fit is
 * refused like `ipc read`'s, not built.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolveConfig } from "../../src/config.ts";
import { connectBroker } from "../../src/client/connect.ts";
import { freePort } from "../helpers/ports.ts";
import { type BrokerProcess, type IpcEnv, ipcEnv, startBrokerProcess } from "../helpers/processes.ts";
import { login, waitUntil } from "./_ui.ts";

const BIG = 3_500_000;
const N = 60;
/** The output budget: room for every list reply, not for one whole 3.5 MB message. */
const HELD = 3 * 1024 * 1024;

let e: IpcEnv;
let broker: BrokerProcess;
let origin: string;
let auth: Record<string, string>;
let firstId = 0;

/** Peak resident memory of `pid` (VmHWM), MiB. */
function peakMiB(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m![1]) / 1024;
}

beforeAll(async () => {
  const uiPort = freePort();
  origin = `http://127.0.0.1:${uiPort}`;
  e = ipcEnv({ IPC_UI_PORT: String(uiPort), IPC_MAX_HELD_OUTPUT_BYTES: String(HELD) });
  broker = await startBrokerProcess(e);
  const { client } = await connectBroker(resolveConfig({}, e.env), false);
  try {
    await client.request("register", { name: "mallory" });
    const blob = "x".repeat(BIG);
    for (let i = 0; i < N; i++) {
      const r = (await client.request("send", { to: `r${i}`, content: `attachment ${i}`, data: { type: "file", filepath: "big.bin", content: blob } }, 30_000)) as {
        message_id: number;
      };
      if (i === 0) firstId = r.message_id;
    }
  } finally {
    client.close();
  }
  auth = await login(e, origin);
}, 180_000);

afterAll(async () => {
  await broker?.stop();
});

describe("dashboard replies are bounded", () => {
  test("lists summarise data and stay under about 1 MiB; the broker's memory stays bounded", async () => {
    const views = [
      "/api/conversations?limit=200",
      "/api/conversation?a=mallory&b=r0&limit=200",
      "/api/search?q=attachment&limit=200",
      "/api/conversations?limit=50",
    ];
    // Several at once, as a page (or an attacker) would.
    const replies = await Promise.all([...views, ...views].map((v) => fetch(`${origin}${v}`, { headers: auth })));
    for (const res of replies) {
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text.length).toBeLessThan(1.1 * 1024 * 1024);
      expect(text).not.toContain("x".repeat(20_000));
    }
    const conv = (await (await fetch(`${origin}/api/conversations?limit=200`, { headers: auth })).json()) as {
      items: { last: { partial?: boolean; data?: { summarised?: boolean; kb?: number } } }[];
    };
    expect(conv.items.length).toBeGreaterThan(0);
    expect(conv.items[0]!.last).toMatchObject({ partial: true, data: { summarised: true } });
    expect(conv.items[0]!.last.data!.kb!).toBeGreaterThan(3000);
    const search = (await (await fetch(`${origin}/api/search?q=attachment&limit=200`, { headers: auth })).json()) as { items: unknown[] };
    expect(search.items.length).toBe(N);
    const peak = peakMiB(broker.proc.pid);
    console.log(`broker peak RSS after the sends and the views: ${peak.toFixed(0)} MiB`);
    expect(peak).toBeLessThan(400);
  }, 60_000);

  test("a whole message is counted in the shared output budget: one that does not fit is refused, not built", async () => {
    const res = await fetch(`${origin}/api/message/${firstId}`, { headers: auth });
    expect(res.status).toBe(429);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("RATE_LIMITED");
    expect(body.error.message).toContain("IPC_MAX_HELD_OUTPUT_BYTES");
  });

  test("a live push carries the list form, not the 3.5 MB", async () => {
    const frames: string[] = [];
    const ws = new WebSocket(`ws://127.0.0.1:${new URL(origin).port}/api/live`, {
      headers: { origin, ...auth },
      protocols: ["ipc", `ipc-session.${auth["x-ipc-session"] ?? ""}`],
    });
    ws.onmessage = (m) => void frames.push(String(m.data));
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error("the live socket did not open"));
    });
    try {
      const { client } = await connectBroker(resolveConfig({}, e.env), false);
      await client.request("register", { name: "mallory" });
      await client.request("send", { to: "r1", content: "pushed", data: { type: "file", filepath: "big.bin", content: "y".repeat(BIG) } }, 30_000);
      client.close();
      await waitUntil(() => frames.some((f) => f.includes("pushed")), 10_000, "the push");
      const frame = frames.find((f) => f.includes("pushed"))!;
      expect(frame.length).toBeLessThan(64 * 1024);
      expect(JSON.parse(frame).message).toMatchObject({ partial: true, data: { summarised: true } });
    } finally {
      ws.close();
    }
  }, 60_000);
});
