/**
 * Issue 22, hole 6: the dashboard's port accepted every connection, so another
 * user's 20 000 connections took every descriptor of the broker; the owner's
 * `status` then stalled and a send failed with a misleading "not an ipc
 * broker". Done as the attacker did it, at a smaller scale: the broker runs
 * under `ulimit -n 512`, and a second OS user opens 900 connections to the
 * dashboard and holds them. The dashboard admits only its share of the
 * descriptors (the rest get 503 and are closed), and the owner's CLI works
 * throughout.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chownSync, existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../helpers/ports.ts";
import { type BrokerProcess, type IpcEnv, ipc, ipcCommand, ipcEnv, ipcJson, startBrokerProcess } from "../helpers/processes.ts";
import { multiUserSkip, otherUser } from "../helpers/users.ts";
import { login, waitUntil } from "./_ui.ts";

const FLOOD = 900;

/** Holds `n` connections to 127.0.0.1:`port` until `stop` exists (at most 60 s); prints what happened to them. */
const FLOODER = `
const [port, n, stop, out] = process.argv.slice(2);
let open = 0, closed = 0, busy = 0, failed = 0;
const sockets = [];
for (let i = 0; i < Number(n); i++) {
  try {
    sockets.push(await Bun.connect({ hostname: "127.0.0.1", port: Number(port), socket: {
      open() { open++; }, data(_s, d) { if (String(d).includes(" 503 ")) busy++; }, close() { closed++; }, error() {},
    } }));
  } catch { failed++; }
}
await Bun.sleep(500);
await Bun.write(out, JSON.stringify({ open, closed, busy, failed }));
for (let i = 0; i < 600 && !(await Bun.file(stop).exists()); i++) await Bun.sleep(100);
for (const s of sockets) s.end();
`;

let e: IpcEnv;
let broker: BrokerProcess;
let uiPort: number;

beforeAll(async () => {
  uiPort = freePort();
  e = ipcEnv({ IPC_UI_PORT: String(uiPort) });
  e.cmd = ["sh", "-c", 'ulimit -n 512 && exec "$0" "$@"', ...ipcCommand()];
  broker = await startBrokerProcess(e);
  expect((await ipc(e, ["register", "owner"], { env: { IPC_NAME: "owner" } })).code).toBe(0);
});

afterAll(async () => {
  await broker?.stop();
});

describe.skipIf(multiUserSkip !== null || process.platform !== "linux")("the dashboard port cannot take the broker's descriptors", () => {
  test("another user's 900 held connections: the dashboard admits its share, the owner's CLI works throughout", async () => {
    await ipcJson(e, ["ui"]); // starts the dashboard
    await using mallory = await otherUser();
    const script = join(mallory.dir, "flood.ts");
    const stop = join(mallory.dir, "stop");
    const out = join(mallory.dir, "out.json");
    writeFileSync(script, FLOODER);
    chownSync(script, mallory.uid, mallory.uid);
    const flood = Bun.spawn(
      [...mallory.as({ PATH: "/usr/bin:/bin", HOME: mallory.dir }), "sh", "-c", `ulimit -n 4096 2>/dev/null; exec "${process.execPath}" "$0" "$@"`, script, String(uiPort), String(FLOOD), stop, out],
      { stdout: "ignore", stderr: "pipe" },
    );
    try {
      await waitUntil(() => existsSync(out), 30_000, "the flood to connect");
      const seen = (await Bun.file(out).json()) as { open: number; closed: number; busy: number; failed: number };
      // The owner is served as usual, and the broker stays inside its limit.
      const status = await ipc(e, ["status", "--json"]);
      expect(status.stderr).toBe("");
      expect(status.code).toBe(0);
      const sent = await ipc(e, ["send", "owner", "still here"], { env: { IPC_NAME: "owner" } });
      expect(sent.stderr).toBe("");
      expect(sent.code).toBe(0);
      expect(readdirSync(`/proc/${broker.proc.pid}/fd`).length).toBeLessThan(512);
      // Most of the flood was turned away at once, told why.
      expect(seen.busy).toBeGreaterThan(FLOOD / 2);
    } finally {
      writeFileSync(stop, "");
      await flood.exited;
    }
    // Once the flood is gone the owner's dashboard works again.
    const origin = `http://127.0.0.1:${uiPort}`;
    await waitUntil(async () => {
      try {
        const auth = await login(e, origin);
        return (await fetch(`${origin}/api/agents`, { headers: auth })).status === 200;
      } catch {
        return false;
      }
    }, 20_000, "the dashboard to answer again");
  }, 90_000);
});
