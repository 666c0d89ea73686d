/**
 * An in-process broker on a free port with a temporary IPC_HOME: the real
 * server code over real sockets, with an injectable clock for expiry tests.
 */
import { type Config, resolveConfig } from "../../src/config.ts";
import { type BrokerHandle, type BrokerOptions, startBroker } from "../../src/broker/edge/server.ts";
import { tempHome } from "./processes.ts";
import { noteBrokerHome } from "./raw.ts";

/** Starts a broker; `env` overrides environment settings (limits, secret…); `home` reuses an IPC_HOME (restarts). */
export async function testBroker(
  env: Record<string, string> = {},
  options: BrokerOptions & { home?: string } = {},
): Promise<BrokerHandle & { config: Config }> {
  const config = resolveConfig({ home: options.home ?? tempHome(), port: 0 }, { ...withoutIpcSettings(process.env), ...env });
  const handle = await startBroker(config, options);
  if (handle.port !== 0) noteBrokerHome(handle.port, config.home);
  return Object.assign(handle, { config: { ...config, port: handle.port } });
}

/** A clock tests can move: `clock.now` is ms since the epoch. */
export function manualClock(start = Date.now()) {
  const clock = { now: start, read: () => clock.now, advance: (ms: number) => void (clock.now += ms) };
  return clock;
}

/** The test process's environment minus IPC_* settings other than the log level. */
function withoutIpcSettings(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) if (!k.startsWith("IPC_") || k === "IPC_LOG_LEVEL") out[k] = v;
  return out;
}
