/** `ipc stop`: ask the running broker to shut down cleanly (shutdown op, else SIGTERM to its pid). */
import { defineCommand } from "citty";
import { brokerArgs, configFrom, identityArgs } from "../cli/args.ts";
import { emit } from "../cli/output.ts";
import { type Config, paths } from "../config.ts";
import { isAlive, readLock } from "../home/files.ts";
import { Agent } from "../client/agent.ts";
import { connectBroker } from "../client/connect.ts";
import { UntrustedBroker } from "../client/trust.ts";
import { portOwner } from "../net/port-owner.ts";
import { IpcError } from "../protocol/errors.ts";

/**
 * A broker that answers without proving the key but is named by this IPC_HOME's
 * private lock file and holds the port (an ipc from before keys, after an
 * upgrade) is ours to signal: SIGTERM it and wait (up to 10 s). False when it is not.
 */
function stopOlderBroker(config: Config): boolean {
  const lockPath = paths.lock(config);
  const lock = readLock(lockPath);
  if (lock === null || !isAlive(lock.pid) || lock.port !== config.port || portOwner(config.port)?.pid !== lock.pid) return false;
  try {
    process.kill(lock.pid, "SIGTERM");
  } catch {
    return false;
  }
  const deadline = performance.now() + 10_000;
  while (readLock(lockPath)?.pid === lock.pid && isAlive(lock.pid) && performance.now() < deadline) Bun.sleepSync(20);
  return true;
}

export default defineCommand({
  meta: { name: "stop", description: "Stop the running broker cleanly" },
  args: { home: brokerArgs.home, host: brokerArgs.host, port: brokerArgs.port, json: brokerArgs.json, ...identityArgs },
  async run({ args }) {
    const config = configFrom({ ...args, spawn: false });
    const c = await connectBroker(config, false).catch((err) => {
      if (err instanceof UntrustedBroker && stopOlderBroker(config)) return null;
      throw err;
    });
    if (c === null) {
      emit(config, () => "Stopped this IPC_HOME's broker from an older ipc (it cannot prove the key): start it again with ipc serve --detach.", { stopped: true });
      return;
    }
    const { pid } = await c.client.request("status", {});
    // A connection that proved the key or the secret may stop the broker; in open mode it takes a session.
    let asked = c.trust !== "open" && (await c.client.request("shutdown", {}).then(() => true, () => false));
    c.client.close();
    if (!asked) {
      const agent = new Agent(config, { spawn: false });
      if (agent.sessionToken !== null) asked = await agent.call("shutdown", {}).then(() => true, () => false);
      agent.close();
    }
    const local = readLock(paths.lock(config))?.pid === pid;
    if (!asked) {
      if (!local) throw new IpcError("FORBIDDEN", `the broker (pid ${pid}) refused to stop and is not ours to signal; stop it as its owner`);
      process.kill(pid, "SIGTERM");
    }
    // A local broker removes its lock file as the last step of a clean stop (its pid may
    // linger as a zombie where nothing reaps orphans); a remote one stops answering.
    const lockPath = paths.lock(config);
    const running = async () =>
      local
        ? readLock(lockPath)?.pid === pid && isAlive(pid)
        : await connectBroker(config, false).then((c) => (c.client.close(), true), () => false);
    const deadline = performance.now() + 10_000;
    while ((await running()) && performance.now() < deadline) await Bun.sleep(20);
    if (await running()) throw new IpcError("INTERNAL", `the broker (pid ${pid}) is still running after 10 s`);
    emit(config, () => `Broker stopped (pid ${pid}).`, { stopped: true, pid });
  },
});
