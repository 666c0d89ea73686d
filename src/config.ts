/**
 * The one place that reads `process.env` (docs/design.md#2-configuration). Flags win over the
 * environment, the environment over defaults; every path derives from IPC_HOME.
 */
import { realpathSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { IpcError } from "./protocol/errors.ts";

/** Broker limits; sizes in bytes, durations in seconds. 0 turns a rate or count limit off. */
export interface Limits {
  /** Largest NDJSON frame accepted (bytes). */
  maxFrameBytes: number;
  /** Largest message content (UTF-8 bytes). */
  maxContentBytes: number;
  /** Unread messages one recipient may hold. */
  maxUnread: number;
  /** Requests per name per minute, all its sessions together (0 = unlimited). */
  ratePerMinute: number;
  /** Requests a session may make at once above its steady rate. */
  rateBurst: number;
  /** Concurrent connections. */
  maxConnections: number;
  /** Seconds an unauthenticated connection may stay idle, and a partial frame may stay incomplete. */
  idleTimeoutSeconds: number;
  /** Content above this size (bytes) is a large message (summary + file). */
  largeMessageBytes: number;
  /** Bytes of incomplete frames all connections may hold together. */
  maxHeldInputBytes: number;
  /** Bytes of replies all connections may leave unread together. */
  maxHeldOutputBytes: number;
  /** Registrations one connection may make per minute, which is also its burst (0 = unlimited). */
  registerPerConnection: number;
  /** Registrations per peer per minute: the Unix socket is one peer (its owner), on TCP one per address (0 = unlimited). */
  registerPerMinute: number;
  /** Registrations a peer may make at once above its steady rate. */
  registerBurst: number;
  /** Instances one `list` page holds when the request names no limit. */
  listPageSize: number;
  /** TCP connections that have not authenticated yet (the Unix socket is not counted). */
  maxUnauthConnections: number;
  /** Seconds a TCP connection may stay unauthenticated before it is closed. */
  authTimeoutSeconds: number;
  /** Connections kept for the Unix socket: TCP is refused when only this many remain (at most a quarter of the limit). */
  socketReserve: number;
}

/** Retention periods (docs/design.md#3-broker). */
export interface Retention {
  /** Unread messages to names never registered (days). */
  futureDays: number;
  /** Read messages (days). */
  readDays: number;
  /** Idle sessions (hours). */
  sessionHours: number;
  /** Forwarding after a rename (hours). */
  forwardHours: number;
  /** A name with no session, no unread mail and no activity for this long is released (days; 0 = never). */
  nameDays: number;
  /** A file claim outlives its holder's last live session by this long (minutes). */
  claimGraceMinutes: number;
}

/** Fully resolved configuration shared by every role. */
export interface Config {
  home: string;
  host: string;
  port: number;
  /** Unix-domain socket path the broker also listens on, or null when disabled. */
  socketPath: string | null;
  /** Listen on / connect over TCP. Off (IPC_TCP=off, --no-tcp) leaves only the Unix socket: no other user can connect. */
  tcp: boolean;
  /** Serve the claude-ipc-mcp protocol next to v2 (IPC_LEGACY=off refuses it: its static proof can be replayed). */
  legacy: boolean;
  secret: string | null;
  /**
   * Open mode (IPC_OPEN=1, `ipc serve --open`). Broker: unauthenticated connections
   * may do everything (the shared secret, if set, is still needed to register).
   * Client: accept a broker that cannot prove this IPC_HOME's key if it says it is open.
   */
  open: boolean;
  /**
   * Network listeners the broker adds (`--listen`, IPC_LISTEN): TLS only, for
   * joined machines (src/remote/). Empty: loopback TCP and the Unix socket only.
   */
  listen: ListenAddress[];
  name: string | null;
  /** Seat template (IPC_SEAT / --seat, e.g. "claude"): without a name, an MCP server registers `<seat>-<project>` (docs/identity.md). */
  seat: string | null;
  /** Take the name over even when another live session holds it (--takeover; never from the environment). */
  takeover: boolean;
  /**
   * The Codex thread this process runs in (CODEX_THREAD_ID: Codex exports it to the commands
   * its shell tool runs, 0.171), or null. Under Codex's shared background server it tells
   * which session's MCP server a shell `ipc` belongs to (docs/identity.md).
   */
  codexThread: string | null;
  noSpawn: boolean;
  json: boolean;
  color: boolean;
  /** SQLite `synchronous` (IPC_SYNCHRONOUS): NORMAL survives a broker crash; FULL also an OS crash or power loss. */
  synchronous: "normal" | "full";
  /** Broker log threshold (IPC_LOG_LEVEL): info, warn, error or silent. */
  logLevel: LogLevel;
  limits: Limits;
  retention: Retention;
  /** The browser dashboard (src/ui/): served on loopback only, started on the first `ipc ui`. */
  ui: UiSettings;
  /** The NATS JetStream cluster this broker joins (docs/cluster.md); null: a broker on its own. */
  cluster: ClusterSettings | null;
}

/**
 * `--nats URL[,URL…]` (IPC_NATS), `--nats-creds FILE` (IPC_NATS_CREDS), `--nats-ca FILE` (IPC_NATS_CA),
 * `--space NAME` (IPC_SPACE, default "default"), `--space-key FILE` (IPC_SPACE_KEY, default
 * $IPC_HOME/space-<space>.key), `--nats-insecure` (IPC_NATS_INSECURE=1). docs/cluster.md#5-configuration.
 */
export interface ClusterSettings {
  servers: string[];
  /** A NATS credentials file: a .creds (JWT + nkey seed), an nkey seed, or `user:password` on one line. */
  creds: string | null;
  space: string;
  /** The space key: 32 random bytes (64 hex digits) every broker of the space holds (src/cluster/space-key.ts). */
  keyFile: string;
  /** The CA certificate (PEM) that signed the NATS servers' TLS certificates, when not a public one. */
  ca: string | null;
  /** The explicit opt-out: a NATS server without authentication, or plain text to a non-loopback one, is accepted (with a warning). */
  insecure: boolean;
}

/** Dashboard settings: IPC_UI=off refuses it; IPC_UI_PORT picks its loopback port (0 = any free port). */
export interface UiSettings {
  enabled: boolean;
  port: number;
}

/** A network address the broker listens on with TLS: a host (IPv4, IPv6 without brackets, or a name) and a port. */
export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * Parses `ADDR:PORT` (IPv6 as `[::1]:PORT`).
 * @throws IpcError (exit code 2) when it is not of that form.
 */
export function parseListen(text: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s\[\]]+)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new IpcError("BAD_REQUEST", `--listen / IPC_LISTEN takes ADDR:PORT (e.g. 192.168.1.20:9876, [::]:9876), got "${text}"`, 2);
  }
  return { host: (m[1] ?? m[2])!, port };
}

/** Values a command line may override (already parsed by citty). */
export interface ConfigFlags {
  home?: string;
  host?: string;
  port?: string | number;
  as?: string;
  seat?: string;
  takeover?: boolean;
  spawn?: boolean;
  json?: boolean;
  socket?: string;
  tcp?: boolean;
  open?: boolean;
  /** `--listen` values (repeatable). */
  listen?: string[];
  /** `--nats`, `--nats-creds`, `--nats-ca`, `--nats-insecure`, `--space`, `--space-key` (docs/cluster.md). */
  nats?: string;
  natsCreds?: string;
  natsCa?: string;
  natsInsecure?: boolean;
  space?: string;
  spaceKey?: string;
  limits?: Partial<Record<keyof Limits, string | number | undefined>>;
}

type Env = Record<string, string | undefined>;

/** Broker log thresholds, least to most quiet. */
export const LOG_LEVELS = ["info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Every numeric setting: its environment variable, default and unit (used by the README table too). */
export const LIMIT_SETTINGS: ReadonlyArray<{
  key: keyof Limits;
  env: string;
  flag: string;
  default: number;
  unit: string;
  description: string;
}> = [
  { key: "maxFrameBytes", env: "IPC_MAX_FRAME_BYTES", flag: "max-frame-bytes", default: 4 * 1024 * 1024, unit: "bytes", description: "largest NDJSON frame; larger gets TOO_LARGE and the connection is closed" },
  { key: "maxContentBytes", env: "IPC_MAX_CONTENT_BYTES", flag: "max-content-bytes", default: 1024 * 1024, unit: "bytes", description: "largest message content (TOO_LARGE)" },
  { key: "maxUnread", env: "IPC_MAX_UNREAD", flag: "max-unread", default: 10_000, unit: "messages", description: "unread messages per recipient (INBOX_FULL)" },
  { key: "ratePerMinute", env: "IPC_RATE_LIMIT", flag: "rate-limit", default: 6_000, unit: "requests/min", description: "requests per name per minute (all its sessions together), 0 = off (RATE_LIMITED)" },
  { key: "rateBurst", env: "IPC_RATE_BURST", flag: "rate-burst", default: 1_000, unit: "requests", description: "burst allowed above the steady rate" },
  { key: "maxConnections", env: "IPC_MAX_CONNECTIONS", flag: "max-connections", default: 4_096, unit: "connections", description: "concurrent connections, 0 = as many as the broker's file-descriptor limit allows (it is always kept under that); more are refused politely" },
  { key: "idleTimeoutSeconds", env: "IPC_IDLE_TIMEOUT", flag: "idle-timeout", default: 30, unit: "seconds", description: "unauthenticated idle connections and incomplete frames are closed after this" },
  { key: "largeMessageBytes", env: "IPC_LARGE_MESSAGE_BYTES", flag: "large-message-bytes", default: 10 * 1024, unit: "bytes", description: "content above this is a large message (summary + file)" },
  { key: "maxHeldInputBytes", env: "IPC_MAX_HELD_INPUT_BYTES", flag: "max-held-input-bytes", default: 256 * 1024 * 1024, unit: "bytes", description: "incomplete frames of all connections together; over it the connection adding to them is closed (TOO_LARGE)" },
  { key: "maxHeldOutputBytes", env: "IPC_MAX_HELD_OUTPUT_BYTES", flag: "max-held-output-bytes", default: 256 * 1024 * 1024, unit: "bytes", description: "replies queued for clients that do not read them, all connections together; a reply that would not fit is refused before it is built (RATE_LIMITED), a push over it closes the connection" },
  { key: "registerPerConnection", env: "IPC_REGISTER_PER_CONNECTION", flag: "register-per-connection", default: 10, unit: "registrations/min", description: "registrations one connection may make per minute (also its burst), 0 = off (RATE_LIMITED)" },
  { key: "registerPerMinute", env: "IPC_REGISTER_RATE", flag: "register-rate", default: 10, unit: "registrations/min", description: "registrations per peer per minute: the Unix socket (only its owner can connect) is one peer, TCP one per address (all of loopback together), 0 = off (RATE_LIMITED)" },
  { key: "registerBurst", env: "IPC_REGISTER_BURST", flag: "register-burst", default: 500, unit: "registrations", description: "registrations a peer may make at once above its steady rate" },
  { key: "listPageSize", env: "IPC_LIST_PAGE", flag: "list-page", default: 200, unit: "instances", description: "instances one `list` reply holds unless the request asks for another limit (at most 1 000); the rest come with next_cursor" },
  { key: "maxUnauthConnections", env: "IPC_MAX_UNAUTH_CONNECTIONS", flag: "max-unauth-connections", default: 256, unit: "connections", description: "TCP connections that have not authenticated (register, auth, verify) yet; more are refused (RATE_LIMITED); the Unix socket is not counted, 0 = off" },
  { key: "authTimeoutSeconds", env: "IPC_AUTH_TIMEOUT", flag: "auth-timeout", default: 10, unit: "seconds", description: "a TCP connection still unauthenticated after this is closed, however busy, 0 = off" },
  { key: "socketReserve", env: "IPC_SOCKET_RESERVE", flag: "socket-reserve", default: 64, unit: "connections", description: "connections only the Unix socket may use (at most a quarter of the connection limit): TCP floods cannot lock the owner out" },
];

/** Retention settings: environment variable and default. */
export const RETENTION_SETTINGS: ReadonlyArray<{ key: keyof Retention; env: string; default: number; unit: string; description: string }> = [
  { key: "futureDays", env: "IPC_RETAIN_FUTURE_DAYS", default: 7, unit: "days", description: "unread messages to names never registered" },
  { key: "readDays", env: "IPC_RETAIN_READ_DAYS", default: 30, unit: "days", description: "read messages (history, search)" },
  { key: "sessionHours", env: "IPC_SESSION_HOURS", default: 24, unit: "hours", description: "sessions expire after this long unused" },
  { key: "forwardHours", env: "IPC_FORWARD_HOURS", default: 2, unit: "hours", description: "an old name forwards to the new one after a rename (and is reserved for it)" },
  { key: "nameDays", env: "IPC_RETAIN_NAME_DAYS", default: 30, unit: "days", description: "a name with no session, no unread mail and no activity for this long is released, 0 = never" },
  { key: "claimGraceMinutes", env: "IPC_CLAIM_GRACE_MINUTES", default: 5, unit: "minutes", description: "a file claim ends this long after its holder's last session went away" },
];

function number(value: string | number | undefined, fallback: number, what: string): number {
  if (value === undefined || value === "") return fallback;
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n) || n < 0) {
    throw new IpcError("BAD_REQUEST", `${what} must be a non-negative number, got "${value}"`, 2);
  }
  return n;
}

function flag(env: Env, key: string): boolean {
  const v = env[key];
  return v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";
}

/**
 * Resolves the configuration from flags, then `env` (default `process.env`), then defaults.
 * @throws IpcError (exit code 2) when a number or port is malformed.
 */
export function resolveConfig(flags: ConfigFlags = {}, env: Env = process.env): Config {
  const home = flags.home || env.IPC_HOME || join(env.HOME || homedir(), ".ipc");
  const port = number(flags.port ?? env.IPC_PORT, 9876, "IPC_PORT / --port");
  if (!Number.isInteger(port) || port > 65535) {
    throw new IpcError("BAD_REQUEST", `port must be an integer from 0 to 65535, got "${flags.port ?? env.IPC_PORT}"`, 2);
  }
  const socketSetting = flags.socket ?? env.IPC_SOCKET ?? "";
  const socketPath =
    socketSetting === "off" || process.platform === "win32"
      ? null
      : socketSetting || join(home, "ipc.sock");
  const limits = {} as Limits;
  for (const s of LIMIT_SETTINGS) {
    limits[s.key] = number(flags.limits?.[s.key] ?? env[s.env], s.default, `${s.env} / --${s.flag}`);
  }
  const retention = {} as Retention;
  for (const s of RETENTION_SETTINGS) retention[s.key] = number(env[s.env], s.default, s.env);
  const json = flags.json ?? false;
  const uiPort = number(env.IPC_UI_PORT, 9877, "IPC_UI_PORT");
  if (!Number.isInteger(uiPort) || uiPort > 65535) {
    throw new IpcError("BAD_REQUEST", `IPC_UI_PORT must be an integer from 0 to 65535, got "${env.IPC_UI_PORT}"`, 2);
  }
  return {
    home,
    host: flags.host || env.IPC_HOST || "127.0.0.1",
    port,
    socketPath,
    tcp: flags.tcp ?? !["off", "0", "false", "no"].includes((env.IPC_TCP ?? "").toLowerCase()),
    legacy: !["off", "0", "false", "no"].includes((env.IPC_LEGACY ?? "").toLowerCase()),
    secret: env.IPC_SHARED_SECRET || null,
    open: flags.open ?? flag(env, "IPC_OPEN"),
    listen: (flags.listen ?? (env.IPC_LISTEN ?? "").split(",")).filter((x) => x.trim() !== "").map(parseListen),
    name: flags.as || env.IPC_NAME || null,
    seat: flags.seat || env.IPC_SEAT || null,
    takeover: flags.takeover === true,
    codexThread: env.CODEX_THREAD_ID || null,
    noSpawn: flags.spawn === false || flag(env, "IPC_NO_SPAWN"),
    json,
    color: !json && useColor(env),
    synchronous: env.IPC_SYNCHRONOUS?.toLowerCase() === "full" ? "full" : "normal",
    logLevel: (LOG_LEVELS as readonly string[]).includes(env.IPC_LOG_LEVEL ?? "") ? (env.IPC_LOG_LEVEL as LogLevel) : "info",
    limits,
    retention,
    ui: { enabled: !["off", "0", "false", "no"].includes((env.IPC_UI ?? "").toLowerCase()), port: uiPort },
    cluster: clusterSettings(flags, env, home),
  };
}

/**
 * The cluster settings from `--nats` / IPC_NATS (comma-separated nats:// URLs), or null without them.
 * @throws IpcError (exit code 2) for a space outside [A-Za-z0-9_-]{1,32} or a URL that is not nats:// or tls://.
 */
function clusterSettings(flags: ConfigFlags, env: Env, home: string): ClusterSettings | null {
  const servers = (flags.nats ?? env.IPC_NATS ?? "").split(",").map((x) => x.trim()).filter((x) => x !== "");
  if (servers.length === 0) return null;
  for (const url of servers) {
    if (!/^(nats|tls):\/\/[^\s/]+$/.test(url) && !/^[^\s/:]+:\d{1,5}$/.test(url)) {
      throw new IpcError("BAD_REQUEST", `--nats / IPC_NATS takes nats://HOST:PORT URLs, comma-separated; got "${url}"`, 2);
    }
  }
  const space = flags.space || env.IPC_SPACE || "default";
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(space)) {
    throw new IpcError("BAD_REQUEST", `--space / IPC_SPACE is 1-32 characters of A-Z a-z 0-9 _ -; got "${space}"`, 2);
  }
  const lower = space.toLowerCase();
  return {
    servers,
    creds: flags.natsCreds || env.IPC_NATS_CREDS || null,
    space: lower,
    keyFile: flags.spaceKey || env.IPC_SPACE_KEY || join(home, `space-${lower}.key`),
    ca: flags.natsCa || env.IPC_NATS_CA || null,
    insecure: flags.natsInsecure === true || flag(env, "IPC_NATS_INSECURE"),
  };
}

/** True for a NATS server address on this machine only (127.0.0.0/8, ::1, localhost). */
function loopbackUrl(url: string): boolean {
  const host = url.replace(/^[a-z]+:\/\//, "").replace(/^[^@]*@/, "").replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * What makes a NATS connection unsafe to start (docs/security.md#the-cluster-nats), or null: no credentials
 * (anyone who reaches the server could read and delete the space), or plain text to a server off this
 * machine. `--nats-insecure` accepts both (the broker warns). Checked by `ipc serve` before it starts.
 */
export function clusterRefusal(c: ClusterSettings): string | null {
  if (c.insecure) return null;
  const plain = c.servers.filter((u) => !u.startsWith("tls://") && !loopbackUrl(u));
  if (plain.length > 0) {
    return `--nats ${plain.join(",")} is plain text to another machine: anyone on the path reads and changes the space's mail. Use tls:// URLs (with --nats-ca FILE for a private CA; docs/cluster.md#a-secure-setup), or accept the risk with --nats-insecure`;
  }
  if (c.creds === null) {
    return "--nats without --nats-creds: a NATS server that lets anyone in lets any user of it read, delete and forge the space's mail and names. Give the broker its own NATS user (--nats-creds FILE / IPC_NATS_CREDS; docs/cluster.md#a-secure-setup), or, for a server only you can reach, accept the risk with --nats-insecure";
  }
  return null;
}

/**
 * Whether output to a stream is coloured: never with NO_COLOR (any value,
 * https://no-color.org) or TERM=dumb; always with FORCE_COLOR (but "0" or
 * "false"); else only on a terminal (`tty`, default stdout's).
 */
export function useColor(env: Env = process.env, tty: boolean | undefined = process.stdout.isTTY): boolean {
  if (env.NO_COLOR || env.TERM === "dumb") return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== "") return !["0", "false"].includes(force.toLowerCase());
  return tty === true;
}

/** Paths inside IPC_HOME. */
export const paths = {
  database: (c: Pick<Config, "home">) => join(c.home, "ipc.db"),
  lock: (c: Pick<Config, "home">) => join(c.home, "broker.lock"),
  /** The per-home broker key (src/home/key.ts). */
  key: (c: Pick<Config, "home">) => join(c.home, "broker.key"),
  log: (c: Pick<Config, "home">) => join(c.home, "broker.log"),
  sessions: (c: Pick<Config, "home">) => join(c.home, "sessions"),
  largeMessages: (c: Pick<Config, "home">) => join(c.home, "large-messages"),
  /** Per AI host process: the session its `ipc mcp` acts as (src/home/mcp-parents.ts). */
  mcpParents: (c: Pick<Config, "home">) => join(c.home, "mcp-parents"),
  autoCheck: (c: Pick<Config, "home">) => join(c.home, "auto-check"),
  /** The broker's TLS certificate and its private key for `--listen` (src/remote/certificate.ts). */
  tlsCert: (c: Pick<Config, "home">) => join(c.home, "tls", "broker.crt"),
  tlsKey: (c: Pick<Config, "home">) => join(c.home, "tls", "broker.key"),
  /** This machine's pairing with a remote broker, written by `ipc join` (src/remote/joined.ts). */
  joined: (c: Pick<Config, "home">) => join(c.home, "remote.json"),
  /** One file per host session holding a wake waiter (src/hook/wake.ts). */
  wake: (c: Pick<Config, "home">) => join(c.home, "wake"),
  /** How each ipc mcp inside Claude Code delivers: `<host pid>.json` (docs/wake.md#claude-code-the-sessions-own-inbox). */
  inbox: (c: Pick<Config, "home">) => join(c.home, "inbox"),
};

/** True when two IPC_HOME paths are the same folder (symlinks and `..` resolved where the folder exists). */
export function sameHome(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  return real(a) === real(b);
}

/** Names of environment variables that hold secrets by convention (API keys, tokens, passwords). */
const SECRET_ENV_NAME = /(KEY|TOKEN|SECRET|PASSW(OR)?D|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE)/i;
/** Such names that hold places, not secrets (SSH_AUTH_SOCK, DBUS_SESSION_BUS_ADDRESS, XDG_SESSION_TYPE, …). */
const NOT_SECRET_ENV_NAME = /(_SOCK|_PATH|_DIR|_FILE|_HOME|_ADDRESS|_TYPE|_CLASS|_DESKTOP|_ID)$/i;

/**
 * The values (at least 12 characters) of environment variables whose names
 * look secret (ANTHROPIC_API_KEY, GITHUB_TOKEN, …), with their names; the
 * share tools refuse output holding one (src/share/sensitive.ts).
 */
export function secretEnvValues(env: Env = process.env): Array<{ name: string; value: string }> {
  return Object.entries(env).flatMap(([name, value]) =>
    SECRET_ENV_NAME.test(name) && !NOT_SECRET_ENV_NAME.test(name) && typeof value === "string" && value.length >= 12 && !/^(\/|unix:)/.test(value) ? [{ name, value }] : [],
  );
}

/** `text` with `$NAME`, `${NAME}` and a leading `~` replaced from `env` (unknown names stay as written). For path checks of share_command's arguments. */
export function expandEnvWords(text: string, env: Env = process.env): string {
  const home = env.HOME || homedir();
  const tilde = text === "~" ? home : text.startsWith("~/") ? `${home}${text.slice(1)}` : text;
  return tilde.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (all, a: string | undefined, b: string | undefined) => env[(a ?? b)!] ?? all);
}

/** This process's environment with `extra` added, for a child process (share_command marks its runs this way). */
export function childEnv(extra: Record<string, string>, env: Env = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return { ...out, ...extra };
}

/** True for addresses that only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

/** Where the AI hosts `ipc setup` and `ipc doctor` know keep their configuration. */
export interface HostDirs {
  /** The user's home directory (HOME, else USERPROFILE, else the OS's answer). */
  home: string;
  /** Codex's directory: CODEX_HOME, default ~/.codex. */
  codexHome: string;
}

/** Resolves the AI hosts' configuration directories from `env` (default `process.env`). */
export function hostDirs(env: Env = process.env): HostDirs {
  const home = env.HOME || env.USERPROFILE || homedir();
  return { home, codexHome: env.CODEX_HOME || join(home, ".codex") };
}

/**
 * Claude Code's own messaging as this process sees it (docs/wake.md#claude-code-the-sessions-own-inbox).
 * An interactive Claude Code (2.1.224 and later) exports CLAUDE_CODE_MESSAGING_SOCKET and
 * CLAUDE_CODE_MESSAGING_TOKEN to its children, MCP servers and hooks included.
 */
export interface ClaudeMessaging {
  /** The session's inbox socket and token; null when either is missing or IPC_CLAUDE_INBOX=off. */
  inbox: { socket: string; token: string } | null;
  /** Why there is no inbox, in words for the log and ipc doctor; null with one. */
  why: string | null;
  /** Claude Code's user settings folder: CLAUDE_CONFIG_DIR, default ~/.claude. */
  configDir: string;
  /** Claude Code's managed-settings folder: CLAUDE_CODE_MANAGED_SETTINGS_PATH, default /etc/claude-code (macOS: /Library/Application Support/ClaudeCode). */
  managedDir: string;
  /** The session's project folder: CLAUDE_PROJECT_DIR, else null (the caller uses its working directory). */
  projectDir: string | null;
  /** This process runs under Claude Code (CLAUDECODE=1, which Claude Code sets for its children). */
  inClaudeCode: boolean;
}

/** Reads ClaudeMessaging from `env` (default `process.env`). */
export function claudeMessaging(env: Env = process.env): ClaudeMessaging {
  const home = env.HOME || env.USERPROFILE || homedir();
  const socket = env.CLAUDE_CODE_MESSAGING_SOCKET || null;
  const token = env.CLAUDE_CODE_MESSAGING_TOKEN || null;
  const off = ["off", "0", "false", "no"].includes((env.IPC_CLAUDE_INBOX ?? "").toLowerCase());
  const why = off
    ? "IPC_CLAUDE_INBOX=off"
    : socket === null
      ? "Claude Code gave this process no CLAUDE_CODE_MESSAGING_SOCKET (Claude Code before 2.1.224, claude -p, or cross-session messaging off)"
      : token === null
        ? "Claude Code gave this process no CLAUDE_CODE_MESSAGING_TOKEN"
        : null;
  return {
    inbox: why === null ? { socket: socket!, token: token! } : null,
    why,
    configDir: env.CLAUDE_CONFIG_DIR || join(home, ".claude"),
    managedDir: env.CLAUDE_CODE_MANAGED_SETTINGS_PATH || (process.platform === "darwin" ? "/Library/Application Support/ClaudeCode" : "/etc/claude-code"),
    projectDir: env.CLAUDE_PROJECT_DIR || null,
    inClaudeCode: env.CLAUDECODE === "1",
  };
}

/**
 * The environment that decides where Gemini CLI keeps its files and whether it
 * trusts a folder (Gemini CLI 0.61, packages/core/src/utils/trust.ts and
 * config/storage.ts): GEMINI_CLI_HOME replaces the home directory,
 * GEMINI_CLI_TRUSTED_FOLDERS_PATH the trusted-folders file;
 * GEMINI_CLI_TRUST_WORKSPACE=true|false and GEMINI_RESTRICTED_MODE=true decide trust outright.
 */
export interface GeminiEnv {
  cliHome: string | undefined;
  trustedFoldersPath: string | undefined;
  trustWorkspace: string | undefined;
  restricted: boolean;
}

/** Gemini CLI's settings from `env` (default `process.env`). */
export function geminiEnv(env: Env = process.env): GeminiEnv {
  return {
    cliHome: env.GEMINI_CLI_HOME || undefined,
    trustedFoldersPath: env.GEMINI_CLI_TRUSTED_FOLDERS_PATH || undefined,
    trustWorkspace: env.GEMINI_CLI_TRUST_WORKSPACE || undefined,
    restricted: env.GEMINI_RESTRICTED_MODE === "true",
  };
}

/**
 * Where OpenCode and GitHub Copilot CLI keep their user configuration:
 * OpenCode `$XDG_CONFIG_HOME/opencode` (default ~/.config/opencode; opencode.ai/docs/config),
 * Copilot CLI `$COPILOT_HOME` (default ~/.copilot; `copilot mcp --help`); `home` is the user's home (HostDirs.home).
 */
export function moreHostDirs(home: string, env: Env = process.env): { opencodeDir: string; copilotHome: string } {
  return { opencodeDir: join(env.XDG_CONFIG_HOME || join(home, ".config"), "opencode"), copilotHome: env.COPILOT_HOME || join(home, ".copilot") };
}
