/** Real clients (the Agent every command uses) for a test broker: they prove whatever the broker asks. */
import type { Config } from "../../src/config.ts";
import { Agent } from "../../src/client/agent.ts";
import { legacyProof } from "../../src/protocol/auth.ts";
import { RawClient } from "../helpers/raw.ts";

/** A shared secret for tests that speak the legacy protocol (which needs one to be trusted). */
export const SECRET = "names-test-secret";

/** One claude-ipc-mcp request (one object, no newline, answered then closed); registers prove SECRET. */
export async function legacyCall(port: number, request: Record<string, unknown>): Promise<{ text: string; reply: any }> {
  const body = request.action === "register" ? { ...request, auth_token: legacyProof(String(request.instance_id), SECRET) } : request;
  await using c = await RawClient.connect(port);
  c.write(JSON.stringify(body));
  const text = await c.readToClose();
  return { text, reply: JSON.parse(text) };
}

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
