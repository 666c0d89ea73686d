/**
 * The dashboard's TCP front on its own (src/ui/front.ts): bytes relayed whole
 * both ways with backpressure (a slow reader gets every byte, also when the
 * server closes right after), and the cap: past it a connection gets 503 and
 * is closed, and a slot frees when a connection closes.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Front, startFront } from "../../src/ui/front.ts";
import { waitUntil } from "./_ui.ts";

const BIG = "0123456789abcdef".repeat(512 * 1024); // 8 MiB
let dir: string;
let server: ReturnType<typeof Bun.serve>;
let front: Front;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "ipc-front-"));
  server = Bun.serve({
    unix: join(dir, "s.sock"),
    fetch: async (req) => new Response(req.method === "POST" ? String((await req.text()).length) : BIG),
  });
  front = startFront("127.0.0.1", 0, join(dir, "s.sock"), 2);
});

afterAll(() => {
  front.stop();
  server.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

/** A raw connection that writes `request`, reads slowly (pausing), and collects everything until close. */
async function slowGet(request: string): Promise<string> {
  const chunks: Buffer[] = [];
  let done!: () => void;
  const closed = new Promise<void>((r) => (done = r));
  const s = await Bun.connect({
    hostname: "127.0.0.1",
    port: front.port,
    socket: {
      data(sock, d) {
        chunks.push(Buffer.from(d));
        sock.pause();
        setTimeout(() => sock.resume(), 1);
      },
      close: () => done(),
      error: () => done(),
    },
  });
  s.write(request);
  await closed;
  return Buffer.concat(chunks).toString();
}

test("a slow reader gets all 8 MiB, also when the server closes right after; a large upload arrives whole", async () => {
  const text = await slowGet("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  expect(text.startsWith("HTTP/1.1 200")).toBe(true);
  expect(text.slice(text.indexOf("\r\n\r\n") + 4)).toBe(BIG);
  const up = await fetch(`http://127.0.0.1:${front.port}/`, { method: "POST", body: BIG, keepalive: false });
  expect(await up.text()).toBe(String(BIG.length));
}, 60_000);

test("past the cap a connection gets 503 and is closed; a closed connection frees its slot", async () => {
  await waitUntil(() => front.open === 0, 20_000, "earlier connections to close");
  const held = await Promise.all([0, 1].map(() => Bun.connect({ hostname: "127.0.0.1", port: front.port, socket: { data() {} } })));
  await waitUntil(() => front.open === 2, 5_000, "two connections admitted");
  const refused = await slowGet("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  expect(refused).toStartWith("HTTP/1.1 503");
  expect(refused).toContain("limit of connections");
  expect(front.refused).toBeGreaterThanOrEqual(1);
  held[0]!.end();
  await waitUntil(() => front.open === 1, 5_000, "a slot to free");
  const ok = await slowGet("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  expect(ok).toStartWith("HTTP/1.1 200");
  held[1]!.end();
}, 60_000);
