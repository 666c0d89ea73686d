/**
 * Which of the settings `ipc serve` was given a running broker does not have:
 * `ipc serve --detach` compares them with the broker's `status` (docs/remote.md,
 * docs/cli.md). A setting counts as given when its flag is on the command line
 * or its value is not the default (so it came from an IPC_* variable).
 */
import { join } from "node:path";
import { type Config, LIMIT_SETTINGS, type ListenAddress } from "../config.ts";
import type { StatusResult } from "../protocol/responses.ts";

/** One setting the running broker has otherwise than asked. */
export interface SettingDifference {
  /** The `ipc serve` flag that sets it, e.g. `--max-unread`. */
  flag: string;
  /** Its value in the running broker, and the one asked for, as words. */
  running: string;
  asked: string;
}

/** `host:port` as `--listen` takes it (IPv6 in brackets). */
export function listenText(a: { host: string; port: number }): string {
  return `${a.host.includes(":") ? `[${a.host}]` : a.host}:${a.port}`;
}

/** True when `l` serves what `a` asks: the same host, and the same port unless `a` asks any (0). */
export function listens(l: { host: string; port: number }, a: ListenAddress): boolean {
  return l.host === a.host && (a.port === 0 || l.port === a.port);
}

/** The `--listen` addresses of `config` that the broker of `s` does not listen on. */
export function missingListeners(config: Config, s: StatusResult): ListenAddress[] {
  const have = s.tls?.listeners ?? [];
  return config.listen.filter((a) => !have.some((l) => listens(l, a)));
}

/** True when the serve command line `args` holds `--flag` (`--flag=…`, `--no-flag`). */
function onCommandLine(args: readonly string[], flag: string): boolean {
  return args.some((a) => a === `--${flag}` || a.startsWith(`--${flag}=`) || a === `--no-${flag}`);
}

/**
 * The settings of `config` (resolved from the serve command line `args` and
 * the environment) that the broker whose status is `s` runs with otherwise.
 * Limits are compared only when the broker reports them (`status.limits`).
 */
export function settingDifferences(config: Config, args: readonly string[], s: StatusResult): SettingDifference[] {
  const out: SettingDifference[] = [];
  const onOff = (b: boolean) => (b ? "on" : "off");
  for (const a of missingListeners(config, s)) {
    const have = s.tls?.listeners.map(listenText).join(", ") || "no network listener";
    out.push({ flag: "--listen", running: have, asked: listenText(a) });
  }
  if (s.limits !== undefined) {
    for (const l of LIMIT_SETTINGS) {
      const asked = config.limits[l.key];
      const running = s.limits[l.key];
      const given = onCommandLine(args, l.flag) || asked !== l.default;
      if (given && running !== undefined && running !== asked) out.push({ flag: `--${l.flag}`, running: String(running), asked: String(asked) });
    }
  }
  const open = s.open === true;
  if ((onCommandLine(args, "open") || config.open) && open !== config.open) out.push({ flag: "--open", running: onOff(open), asked: onOff(config.open) });
  const tcp = s.port !== 0;
  if ((onCommandLine(args, "tcp") || !config.tcp) && tcp !== config.tcp) out.push({ flag: config.tcp ? "--tcp" : "--no-tcp", running: onOff(tcp), asked: onOff(config.tcp) });
  const defaultSocket = join(config.home, "ipc.sock");
  if ((onCommandLine(args, "socket") || config.socketPath !== defaultSocket) && s.socket !== config.socketPath) {
    out.push({ flag: "--socket", running: s.socket ?? "off", asked: config.socketPath ?? "off" });
  }
  const cluster = s.cluster ?? null;
  const asked = config.cluster;
  if (asked !== null || onCommandLine(args, "nats")) {
    const servers = (c: { servers: string[] } | null) => (c === null ? "none (a broker on its own)" : c.servers.join(","));
    if (servers(cluster) !== servers(asked)) out.push({ flag: "--nats", running: servers(cluster), asked: servers(asked) });
    if (asked !== null && cluster !== null && cluster.space !== asked.space) out.push({ flag: "--space", running: cluster.space, asked: asked.space });
  }
  return out;
}
