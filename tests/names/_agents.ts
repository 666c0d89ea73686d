/** Real clients (the Agent every command uses) for a test broker: they prove whatever the broker asks. */
import type { Config } from "../../src/config.ts";
import { Agent } from "../../src/client/agent.ts";

/** An Agent of broker `b` acting as `name` (not saved to IPC_HOME, never spawning); closed on dispose. */
export function agentOf(b: { config: Config }, name: string | null = null, over: Partial<Config> = {}): Agent & Disposable {
  const a = new Agent({ ...b.config, name, ...over }, { persist: false, spawn: false, lastName: false });
  return Object.assign(a, { [Symbol.dispose]: () => a.close() });
}

/** Registers `names` one by one, each on a connection of its own (so no per-connection limit applies). */
export async function registerAll(b: { config: Config }, names: readonly string[]): Promise<void> {
  for (const n of names) {
    using a = agentOf(b);
    await a.register(n);
  }
}
