/**
 * Issue 10, hole 3: one connection pipelines 500 `history` requests for eight
 * 1 MB messages in one write and closes. The broker must neither build 500
 * replies (it took 5.5 GiB before backpressure) nor stop answering others.
 */
import { expect, test } from "bun:test";
import { resolveConfig } from "../../src/config.ts";
import { Agent } from "../../src/client/agent.ts";
import { ipcEnv, startBrokerProcess } from "../helpers/processes.ts";

const MiB = 1024 * 1024;
/** What the broker may reach (VmHWM, peak resident memory) under the attack. */
const RSS_BOUND = 256 * MiB;

/** VmRSS and VmHWM (peak) of `pid`, in bytes. */
async function memoryOf(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await Bun.file(`/proc/${pid}/status`).text();
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)![1]) * 1024;
  return { rss: kb("VmRSS"), peak: kb("VmHWM") };
}

/** Opens a raw connection, writes `text` in one go and closes at once (the attacker never reads). */
async function fireAndClose(port: number, text: string): Promise<void> {
  const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {}, error() {} } });
  s.write(text);
  s.end();
}

test.skipIf(process.platform !== "linux")(
  "pipelined history requests from closed connections: broker RSS stays under 256 MiB and others keep getting answers",
  async () => {
    const e = ipcEnv();
    await using broker = await startBrokerProcess(e);
    const pid = broker.proc.pid;
    const config = resolveConfig({}, e.env);
    const bomber = new Agent({ ...config, name: "bomber" }, { spawn: false, persist: false });
    const bystander = new Agent({ ...config, name: "bystander" }, { spawn: false, persist: false });
    try {
      await bomber.register("bomber");
      await bystander.register("bystander");
      const big = "x".repeat(1_000_000);
      for (let i = 0; i < 8; i++) await bomber.call("send", { to: "bystander", content: `${i}${big}` });
      const token = bomber.sessionToken!;
      const auth = `${JSON.stringify({ id: 0, op: "auth", token })}\n`;
      const bomb = (n: number) => auth + `${JSON.stringify({ op: "history", limit: 10 })}\n`.repeat(n);

      let peak = (await memoryOf(pid)).peak;
      let stop = false;
      const watch = (async () => {
        // Also a guard: a broker without the fix grows by gigabytes; stop it before it hurts the machine.
        while (!stop && broker.proc.exitCode === null) {
          peak = Math.max(peak, (await memoryOf(pid)).peak);
          if (peak > 4 * RSS_BOUND) {
            broker.proc.kill("SIGKILL");
            break;
          }
          await Bun.sleep(20);
        }
      })();

      // One connection × 500, then 8 connections × 200, each written at once and closed.
      await fireAndClose(e.port, bomb(500));
      await Promise.all(Array.from({ length: 8 }, () => fireAndClose(e.port, bomb(200))));

      // Meanwhile another client is answered, request after request.
      let answered = 0;
      for (let i = 0; i < 40 && broker.proc.exitCode === null; i++) {
        const r = await bystander.call("whoami", {});
        expect(r.name).toBe("bystander");
        answered++;
        await Bun.sleep(25);
      }
      stop = true;
      await watch;
      expect(broker.proc.exitCode).toBeNull();
      expect(answered).toBe(40);
      peak = Math.max(peak, (await memoryOf(pid)).peak);
      expect(peak).toBeLessThan(RSS_BOUND);
      // The broker is still whole: the bomber's history is all there.
      const h = await bomber.call("history", { limit: 10 });
      expect(h.messages.length).toBe(8);
    } finally {
      bomber.close();
      bystander.close();
    }
  },
  60_000,
);
