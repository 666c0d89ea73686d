/**
 * `ipc serve --detach` (docs/cli.md, docs/remote.md): a background broker that
 * runs with exactly the settings the command was given — its own command line
 * minus `--detach`, in the same folder and environment — never a hand-made
 * copy of them. When this IPC_HOME's broker runs already (any client starts
 * one), it takes the `--listen` addresses live (the `listen` op); the other
 * settings are read only at start, so those that differ are named. A start is
 * reported only when the broker that answers is the process this call spawned.
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { type Config, paths, sameHome } from "../config.ts";
import { IpcError } from "../protocol/errors.ts";
import type { StatusResult } from "../protocol/responses.ts";
import { connectBroker, type Connected, spawnBroker } from "./connect.ts";
import { listenText, missingListeners, settingDifferences } from "./serve-settings.ts";
import { UntrustedBroker } from "./trust.ts";

/** How long `ipc serve --detach` waits for a broker to answer after starting one (ms). */
const DETACH_WAIT_MS = 15_000;

/** What `ipc serve --detach` found or did. */
export interface Detached {
  /**
   * "started": the broker that answers is the one this call spawned; "restarted": the same, in place of
   * the broker that ran (`replaced`); "raced": another client's broker started first and answers; "running": one ran already.
   */
  outcome: "started" | "restarted" | "raced" | "running";
  /** The pid of the broker a restart replaced. */
  replaced?: number;
  /** The answering broker's status, with its listeners after `added`. */
  status: StatusResult;
  /** TLS listeners added to a broker that ran already (host, bound port). */
  added: { host: string; port: number }[];
  /** The broker log. */
  log: string;
}

/** The serve command line `rawArgs` without `--detach` and `--restart` (`--x=…`, `--no-x`): what the background broker runs with. */
export function withoutDetach(rawArgs: readonly string[]): string[] {
  const ours = (a: string) => ["detach", "restart"].some((f) => a === `--${f}` || a.startsWith(`--${f}=`) || a === `--no-${f}`);
  return rawArgs.filter((a) => !ours(a));
}

/**
 * This IPC_HOME's running broker, connected, with its status; null when none answers.
 * @throws IpcError CONFLICT when the broker at this address serves another IPC_HOME; UntrustedBroker when it is not ours.
 */
async function runningBroker(config: Config): Promise<{ c: Connected; status: StatusResult } | null> {
  const c = await connectBroker(config, false).catch((err: unknown) => {
    if (err instanceof IpcError && err.code === "NO_BROKER" && !(err instanceof UntrustedBroker)) return null;
    throw err;
  });
  if (c === null) return null;
  const status = await c.client.request("status", {}).catch((err: unknown) => {
    c.client.close();
    throw err;
  });
  if (!sameHome(status.home, config.home)) {
    c.client.close();
    // Another IPC_HOME's broker holds the port: it would not use this home's database, sessions or key.
    throw new IpcError(
      "CONFLICT",
      `the broker on ${status.host}:${status.port} (pid ${status.pid}) serves IPC_HOME ${status.home}, not this one (${config.home}). ` +
        `Give this IPC_HOME its own port (IPC_PORT=<free port> ipc serve --detach), or use that broker's IPC_HOME`,
    );
  }
  return { c, status };
}

/** The last `ipc:` or error line the broker log got after byte `from` (why a broker did not start), or "". */
function logReason(path: string, from: number): string {
  try {
    const size = statSync(path).size;
    if (size <= from) return "";
    const fd = openSync(path, "r");
    try {
      const start = Math.max(from, size - 16_384);
      const buf = Buffer.alloc(size - start);
      readSync(fd, buf, 0, buf.length, start);
      const lines = buf.toString("utf8").split("\n").filter((l) => l.trim() !== "");
      return lines.findLast((l) => /error|ipc:|cannot|refus/i.test(l)) ?? lines.at(-1) ?? "";
    } finally {
      closeSync(fd);
    }
  } catch {
    return "";
  }
}

/** Bytes in the broker log now (0 when there is none): where a new broker's lines begin. */
function logSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * Waits until this IPC_HOME's broker answers (other than the pid `not`, a broker being replaced).
 * @throws IpcError NO_BROKER with the reason the log gives once `child` failed, or at the deadline.
 */
async function awaitBroker(config: Config, child: { readonly exitCode: number | null }, logFrom: number, not?: number) {
  const log = paths.log(config);
  const deadline = performance.now() + DETACH_WAIT_MS;
  let delay = 10;
  while (performance.now() < deadline) {
    await Bun.sleep(delay);
    delay = Math.min(delay * 1.5, 100);
    const found = await runningBroker(config);
    if (found !== null && found.status.pid !== not) return found;
    found?.c.client.close();
    // Ours failed (a port taken, a bad setting): say why. Ours gave way (exit 0) to a broker still starting: keep waiting for that one.
    if (child.exitCode !== null && child.exitCode !== 0) break;
  }
  const reason = logReason(log, logFrom);
  throw new IpcError("NO_BROKER", `the broker did not start${reason ? `: ${reason.replace(/^ipc: /, "")}` : ""} (see ${log})`);
}

/**
 * Starts this IPC_HOME's broker in the background with the serve arguments
 * `serveArgs` (resolved into `config`), or brings a running one to them: it
 * takes `--listen` live; with `restart`, it hands over to a new broker with
 * these settings (the lock passes from one to the other, never free).
 * @throws IpcError NO_BROKER when the started broker never answered (with the log's reason);
 *   CONFLICT when the broker that answers runs with settings only a restart can change (naming each).
 */
export async function detachBroker(config: Config, serveArgs: string[], restart = false): Promise<Detached> {
  const log = paths.log(config);
  let found = await runningBroker(config);
  let outcome: Detached["outcome"] = "running";
  let replaced: number | undefined;
  if (found === null) {
    const logFrom = logSize(log);
    const child = spawnBroker(config, serveArgs);
    found = await awaitBroker(config, child, logFrom);
    outcome = found.status.pid === child.pid ? "started" : "raced";
  } else if (restart) {
    replaced = found.status.pid;
    const logFrom = logSize(log);
    const child = spawnBroker(config, [...serveArgs, "--succeed", String(replaced)]);
    try {
      await found.c.client.request("shutdown", { successor: child.pid });
    } finally {
      found.c.client.close();
    }
    const was = replaced;
    found = await awaitBroker(config, child, logFrom, replaced).catch((err: unknown) => {
      if (!(err instanceof IpcError)) throw err;
      throw new IpcError(err.code, `${err.message}. The broker it replaces (pid ${was}) has stopped: fix that, then ipc serve --detach (or any client) starts one`);
    });
    outcome = found.status.pid === child.pid ? "restarted" : "raced";
  }
  const { c } = found;
  let status = found.status;
  let added: Detached["added"] = [];
  try {
    const missing = missingListeners(config, status);
    // The broker this call started has every setting by construction: a missing listener there is a difference to report, not to patch.
    if (missing.length > 0 && outcome !== "started" && outcome !== "restarted") {
      const r = await c.client.request("listen", { add: missing });
      added = r.added;
      status = { ...status, tls: { fingerprint: r.fingerprint, listeners: r.listeners } };
    }
  } finally {
    c.client.close();
  }
  const differ = settingDifferences(config, serveArgs, status);
  if (differ.length > 0) {
    const list = differ.map((d) => `${d.flag}: ${d.running} there, ${d.asked} asked`).join("; ");
    const who =
      outcome === "running"
        ? `the running broker (pid ${status.pid})`
        : outcome === "raced"
          ? `another client started this IPC_HOME's broker (pid ${status.pid}) first; it`
          : `the broker this started (pid ${status.pid})`;
    const addedText = added.length > 0 ? ` It now listens on ${added.map(listenText).join(", ")} (TLS) as asked.` : "";
    throw new IpcError(
      "CONFLICT",
      `${who} runs with other settings than these, and takes them only at start: ${list}.${addedText} ` +
        (outcome === "started" || outcome === "restarted"
          ? `A broker started with this command line should have them all: please report this as a bug, with ${log}`
          : "To apply them, run this command again with --restart: the running broker hands over to a new one with these settings, with no moment in which another client could start one"),
    );
  }
  return { outcome, status, added, log, ...(replaced !== undefined && { replaced }) };
}
