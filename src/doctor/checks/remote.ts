/**
 * Doctor, across machines (docs/remote.md): on a joined machine, the pairing
 * (address, pinned fingerprint, machine name, credential file mode) and the
 * round trip to the remote broker; on the broker's machine, its TLS listeners
 * and joined machines. In a container it says how the broker is reached:
 * the host's Unix socket mounted in, `ipc join` over TLS, or a broker of its own.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { paths } from "../../config.ts";
import { connectBroker } from "../../client/connect.ts";
import { readJoined } from "../../remote/joined.ts";
import { type Check, type Finding, octal } from "../check.ts";

/** True when this process runs in a container (Docker, Podman, Kubernetes). */
export function inContainer(): boolean {
  if (existsSync("/.dockerenv") || existsSync("/run/.containerenv")) return true;
  try {
    return /docker|containerd|kubepods|libpod/.test(readFileSync("/proc/1/cgroup", "utf8"));
  } catch {
    return false;
  }
}

/**
 * True when `pid` (as the broker reported it, in its own PID namespace) is an
 * `ipc serve` process visible here: the broker runs in this container. A
 * broker on the host has a host PID, which is absent here or another program.
 */
export function runsHere(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes("serve");
  } catch {
    return false;
  }
}

/** "host:port" of the broker this IPC_HOME joined (`ipc join`), or null when it joined none (or remote.json is unreadable: remoteCheck says so). */
export function joinedBroker(config: { home: string }): string | null {
  try {
    const j = readJoined(config);
    return j === null ? null : `${j.host.includes(":") ? `[${j.host}]` : j.host}:${j.port}`;
  } catch {
    return null;
  }
}

export const remoteCheck: Check = async (ctx) => {
  const { config } = ctx;
  const out: Finding[] = [];
  let joined;
  try {
    joined = readJoined(config);
  } catch (err) {
    return [{ check: "remote", status: "fail", message: (err as Error).message, fix: "ipc leave, then ipc join <new link from ipc invite>" }];
  }
  if (joined !== null) {
    out.push({ check: "remote", status: "ok", message: `joined ${joined.host}:${joined.port} as machine ${joined.machine} on ${joined.joined_at}; pinned certificate ${joined.fingerprint}` });
    const mode = statSync(paths.joined(config)).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      out.push({ check: "remote", status: "fail", message: `${paths.joined(config)} (this machine's private key) has mode ${octal(mode)}: other users can read it`, fix: `chmod 600 ${paths.joined(config)}` });
    } else {
      out.push({ check: "remote", status: "ok", message: `credential: ECDSA P-256 key in ${paths.joined(config)} (${octal(mode)}); the broker holds only its public key` });
    }
    try {
      const t0 = performance.now();
      const c = await connectBroker(config, false);
      const connected = performance.now() - t0;
      const t1 = performance.now();
      await c.client.request("status", {}).finally(() => c.client.close());
      out.push({
        check: "remote",
        status: "ok",
        message: `remote broker answers: TLS connect and authentication ${connected.toFixed(1)} ms, round trip ${(performance.now() - t1).toFixed(1)} ms`,
      });
    } catch (err) {
      out.push({ check: "remote", status: "fail", message: `remote broker: ${(err as Error).message}`, fix: "check the network path to it; if the broker's owner revoked this machine or replaced the certificate: ipc leave, then ipc join <new link>" });
    }
  }
  if (joined === null && ctx.broker !== null) {
    const c = await connectBroker(config, false).catch(() => null);
    if (c !== null) {
      const s = await c.client.request("status", {}).catch(() => null);
      const m = s?.tls === undefined ? null : await c.client.request("machines", {}).catch(() => null);
      c.client.close();
      if (s?.tls !== undefined) {
        const online = m?.machines.filter((x) => x.connections > 0).length ?? 0;
        const active = m?.machines.filter((x) => x.revoked_at === null).length ?? 0;
        out.push({
          check: "remote",
          status: "ok",
          message: `listening for machines on ${s.tls.listeners.map((l) => `${l.host}:${l.port}`).join(", ")} (TLS, certificate ${s.tls.fingerprint}); ${active} machine${active === 1 ? "" : "s"} joined, ${online} online`,
        });
      }
    }
  }
  if (inContainer()) {
    if (joined === null && ctx.broker !== null && runsHere(ctx.broker.pid)) {
      // Its own broker, not the host's: nothing is mounted, and nothing needs to be.
      out.push({
        check: "remote",
        status: "info",
        message: `the broker runs in this container (pid ${ctx.broker.pid}); agents outside it reach it through a mounted IPC_HOME or over TLS (ipc serve --listen, then ipc invite)`,
      });
      return out;
    }
    const how =
      joined !== null
        ? "this container reaches its broker over TLS (ipc join)"
        : config.socketPath !== null && existsSync(config.socketPath)
          ? `this container reaches the broker through the Unix socket ${config.socketPath} (mounted from the host, with the key in ${paths.key(config)})`
          : "this container has neither a mounted broker socket nor a pairing: mount the host's IPC_HOME (socket and key), or run ipc join";
    const reached = joined !== null || (config.socketPath !== null && existsSync(config.socketPath));
    out.push(reached ? { check: "remote", status: "info", message: how } : { check: "remote", status: "warn", message: how, fix: "see docs/remote.md, Containers" });
  }
  return out;
};
