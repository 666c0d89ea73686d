/** `ipc stop`: ask the running broker to shut down cleanly (shutdown op, else SIGTERM to its pid). */
import { defineCommand } from "citty";
import { brokerArgs, configFrom, identityArgs } from "../cli/args.ts";
import { emit } from "../cli/output.ts";
import { paths } from "../config.ts";
import { isAlive, readLock } from "../home/files.ts";
import { Agent } from "../client/agent.ts";
import { connectBroker } from "../client/connect.ts";
import { hmacProof, PROOF_SUBJECTS } from "../protocol/auth.ts";
import { IpcError } from "../protocol/errors.ts";

export default defineCommand({
  meta: { name: "stop", description: "Stop the running broker cleanly" },
  args: { home: brokerArgs.home, host: brokerArgs.host, port: brokerArgs.port, json: brokerArgs.json, ...identityArgs },
  async run({ args }) {
    const config = configFrom({ ...args, spawn: false });
    const c = await connectBroker(config, false);
    const { pid } = await c.client.request("status", {});
    let asked = false;
    if (config.secret !== null && c.hello.secure) {
      const { nonce } = await c.client.request("hello", {});
      asked = await c.client.request("shutdown", { auth: hmacProof(config.secret, nonce, PROOF_SUBJECTS.shutdown) }).then(() => true, () => false);
    }
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
