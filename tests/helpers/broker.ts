/**
 * An in-process broker on a free port with a temporary IPC_HOME: the real
 * server code over real sockets, with an injectable clock for expiry tests.
 */
import { type Config, resolveConfig } from "../../src/config.ts";
import { type BrokerHandle, type BrokerOptions, startBroker } from "../../src/broker/server.ts";
import { tempHome } from "./processes.ts";

/** Starts a broker; `env` overrides environment settings (limits, secret…). */
export async function testBroker(env: Record<string, string> = {}, options: BrokerOptions = {}): Promise<BrokerHandle & { config: Config }> {
  const config = resolveConfig({ home: tempHome(), port: 0 }, { ...env, HOME: process.env.HOME });
  const handle = await startBroker(config, options);
  return Object.assign(handle, { config: { ...config, port: handle.port } });
}

/** A clock tests can move: `clock.now` is ms since the epoch. */
export function manualClock(start = Date.now()) {
  const clock = { now: start, read: () => clock.now, advance: (ms: number) => void (clock.now += ms) };
  return clock;
}
