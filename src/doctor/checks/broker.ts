/**
 * Doctor: is a broker answering (never starting one), is it this IPC_HOME's
 * (it proves the key or the shared secret, src/client/trust.ts), is it this
 * version, and when nothing answers, is the port taken by something else.
 */
import { paths, sameHome } from "../../config.ts";
import { isAlive, readLock } from "../../home/files.ts";
import { type Connected, connectBroker } from "../../client/connect.ts";
import { UntrustedBroker } from "../../client/trust.ts";
import { IpcError } from "../../protocol/errors.ts";
import { readJoined } from "../../remote/joined.ts";
import { PROTOCOL_VERSION, VERSION } from "../../version.ts";
import type { BrokerSeen, Check, Finding } from "../check.ts";

/**
 * True when two version strings name the same release: a build from a clone
 * (`npm start`: package.json's version + "-dev") and the binary compiled from
 * it are one program.
 */
export function sameRelease(a: string, b: string): boolean {
  const release = (v: string) => v.replace(/-dev$/, "");
  return release(a) === release(b);
}

/** The broker of the configured IPC_HOME / host / port; records what it saw in ctx.broker. */
export const brokerCheck: Check = async (ctx) => {
  const { config } = ctx;
  const joined = readJoined(config);
  const where = joined !== null ? `${joined.host}:${joined.port} (TLS, joined)` : config.tcp === false ? `${config.socketPath}` : `${config.host}:${config.port}`;
  try {
    let c: Connected;
    let trust: BrokerSeen["trust"];
    try {
      c = await connectBroker(config, false);
      trust = c.trust;
    } catch (err) {
      // IPC_SHARED_SECRET here may be what differs: is it still this IPC_HOME's broker by its key?
      if (!(err instanceof UntrustedBroker) || config.secret === null) throw err;
      c = await connectBroker({ ...config, secret: null }, false).catch(() => Promise.reject(err));
      trust = "key-only";
    }
    const { client, hello } = c;
    const status = await client.request("status", {}).finally(() => client.close());
    ctx.broker = { version: hello.version, pid: status.pid, open: status.open === true, sharedSecret: status.shared_secret === true, trust, cluster: status.cluster };
    const proof =
      trust === "open"
        ? "unauthenticated: open mode"
        : trust === "secret"
          ? "it proved the shared secret"
          : trust === "machine"
            ? "a remote broker: its certificate matched the pinned one, and this machine proved its key"
            : "it proved this IPC_HOME's key";
    const out: Finding[] = [{ check: "broker", status: "ok", message: `broker answers on ${where} (pid ${status.pid}, version ${hello.version}; ${proof})` }];
    if (trust !== "machine" && !sameHome(status.home, config.home)) {
      out.push({
        check: "broker",
        status: "fail",
        message: `that broker serves IPC_HOME ${status.home}, not this one (${config.home}): the database and sessions checked here are not its`,
        fix: `give this IPC_HOME its own port (export IPC_PORT=<free port>), or use that broker's: export IPC_HOME=${status.home}`,
      });
    }
    if (hello.protocol !== PROTOCOL_VERSION || !sameRelease(hello.version, VERSION)) {
      const protocols = hello.protocol === PROTOCOL_VERSION ? "" : ` (protocol ${hello.protocol}, this one speaks ${PROTOCOL_VERSION})`;
      out.push({
        check: "broker",
        status: "fail",
        message: `the broker runs ipc ${hello.version}, this binary is ${VERSION}${protocols}`,
        fix: "restart it with this version: ipc stop && ipc serve --detach",
      });
    }
    return out;
  } catch (err) {
    if (err instanceof UntrustedBroker) {
      return [{ check: "broker", status: "fail", message: err.message, fix: "stop that program, or use another port for ipc on both sides: export IPC_PORT=<free port>" }];
    }
    if (!(err instanceof IpcError) || err.code !== "NO_BROKER") throw err;
    const lock = readLock(paths.lock(config));
    if (lock !== null && isAlive(lock.pid) && lock.port !== config.port) {
      return [{
        check: "broker",
        status: "fail",
        message: `no broker answers on ${where}, but this IPC_HOME's broker (pid ${lock.pid}) serves port ${lock.port}`,
        fix: `use the same port everywhere: export IPC_PORT=${lock.port} (or stop that broker: ipc stop --port ${lock.port})`,
      }];
    }
    if (lock !== null && isAlive(lock.pid)) {
      return [{
        check: "broker",
        status: "fail",
        message: `no broker answers on ${where} (the lock file names pid ${lock.pid}, which is running but does not answer)`,
        fix: `stop it (kill ${lock.pid}), then start one: ipc serve --detach`,
      }];
    }
    // Nothing wrong yet: the first command that needs a broker starts one.
    return [{
      check: "broker",
      status: "warn",
      message: `no broker answers on ${where} yet`,
      fix: "start one now with ipc serve --detach (any ipc command that needs a broker also starts one)",
    }];
  }
};
