/** The store limit (bench/lib/store-server.ts) under send.8x32's load, in its own process like the echo limit. */
import { startEcho, tempHome, whilePaused } from "../lib/procs.ts";
import { EIGHT_BY_32, sends } from "./sends.ts";
import type { Measurements, Timing } from "./types.ts";

/** Warm-up of the store limit's fresh process before it is measured (ms). */
const WARM_UP_MS = 1_500;

/**
 * `store.8x32` (sends/s): the 8 × 32 sends a server that only stores and answers them reaches.
 * The processes in `paused` (brokers kept for later workloads) are stopped with SIGSTOP meanwhile.
 * @throws when the server does not start or answers an error.
 */
export async function storeLimit(t: Timing, paused: number[] = []): Promise<Measurements> {
  return whilePaused(paused, async () => {
    const server = await startEcho("store-server.ts", [tempHome()]);
    try {
      // A fresh process: its JIT warms up longer than the broker's, which earlier workloads warmed.
      return { "store.8x32": (await sends(server.port, { ...t, warmupMs: Math.max(t.warmupMs, WARM_UP_MS) }, [EIGHT_BY_32], "store"))["store.8x32"]! };
    } finally {
      await server.stop();
    }
  });
}
