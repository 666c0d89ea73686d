/**
 * Doctor: is a broker answering (never starting one), is it this IPC_HOME's
 * (it proves the key or the shared secret, src/client/trust.ts), is it this
 * version, and when nothing answers, is the port taken by something else.
 */
import { paths } from "../../config.ts";
import { isAlive, readLock } from "../../broker/lock.ts";
import { type Connected, connectBroker } from "../../client/connect.ts";
import { UntrustedBroker } from "../../client/trust.ts";
import { IpcError } from "../../protocol/errors.ts";
import { readJoined } from "../../remote/joined.ts";
import { VERSION } from "../../version.ts";
import type { BrokerSeen, Check, Finding } from "../check.ts";

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
    ctx.broker = { version: hello.version, pid: status.pid, open: status.open === true, sharedSecret: status.shared_secret === true, trust };
    const proof =
      trust === "open"
        ? "unauthenticated: open mode"
        : trust === "secret"
          ? "it proved the shared secret"
          : trust === "machine"
            ? "a remote broker: its certificate matched the pinned one, and this machine proved its key"
            : "it proved this IPC_HOME's key";
    const out: Finding[] = [{ check: "broker", status: "ok", message: `broker answers on ${where} (pid ${status.pid}, version ${hello.version}; ${proof})` }];
    if (hello.version !== VERSION) {
      out.push({
        check: "broker",
        status: "fail",
        message: `the broker runs ipc ${hello.version}, this binary is ${VERSION}`,
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
    const stale = lock !== null && isAlive(lock.pid) ? ` (the lock file names pid ${lock.pid}, which is running but does not answer)` : "";
    return [{
      check: "broker",
      status: "fail",
      message: `no broker answers on ${where}${stale}`,
      fix: "start one: ipc serve --detach (any ipc command that needs a broker also starts one)",
    }];
  }
};
