/** `ipc serve`: run the broker in the foreground, or start it in the background with --detach. */
import { defineCommand } from "citty";
import { brokerArgs, configFrom } from "../cli/args.ts";
import { usageError } from "../cli/errors.ts";
import { emit, errOut } from "../cli/output.ts";
import { clusterRefusal, type Config, LIMIT_SETTINGS, type Limits } from "../config.ts";
import { detachBroker, withoutDetach } from "../client/detach.ts";
import { listenText } from "../client/serve-settings.ts";
import { IpcError } from "../protocol/errors.ts";

const limitArgs = Object.fromEntries(
  LIMIT_SETTINGS.map((s) => [s.flag, { type: "string", description: `${s.description} (env ${s.env}, default ${s.default} ${s.unit})` }]),
) as Record<string, { type: "string"; description: string }>;

export default defineCommand({
  meta: { name: "serve", description: "Run the message broker (foreground; --detach for background)" },
  args: {
    home: brokerArgs.home,
    host: brokerArgs.host,
    port: brokerArgs.port,
    json: brokerArgs.json,
    socket: { type: "string", description: "Unix-domain socket path, or \"off\" (env IPC_SOCKET, default $IPC_HOME/ipc.sock)" },
    tcp: {
      type: "boolean",
      default: true,
      description: "listen on TCP (IPC_HOST:IPC_PORT)",
      negativeDescription: "listen only on the Unix socket, so no other user can connect (env IPC_TCP=off; legacy clients need TCP)",
    },
    open: {
      type: "boolean",
      description: "open mode: serve connections that do not authenticate (any local user may read and send; env IPC_OPEN=1). Logged as a warning",
    },
    listen: {
      type: "string",
      description: "also listen on this network address with TLS, for joined machines (repeatable; env IPC_LISTEN, comma-separated; see ipc invite)",
      valueHint: "addr:port",
    },
    nats: { type: "string", description: "join a NATS JetStream cluster through these servers (comma-separated; env IPC_NATS; docs/cluster.md)", valueHint: "url[,url…]" },
    "nats-creds": { type: "string", description: "NATS credentials: a .creds file, an nkey seed, or user:password (env IPC_NATS_CREDS)", valueHint: "file" },
    "nats-ca": { type: "string", description: "CA certificate of the NATS servers' TLS (env IPC_NATS_CA)", valueHint: "file" },
    "nats-insecure": { type: "boolean", description: "accept a NATS server without authentication, or plain text to another machine (env IPC_NATS_INSECURE=1). Logged as a warning" },
    space: { type: "string", description: "the ipc space on the cluster: brokers of one space are one (env IPC_SPACE, default \"default\")", valueHint: "name" },
    "space-key": { type: "string", description: "the space key every broker of the space holds (env IPC_SPACE_KEY, default $IPC_HOME/space-SPACE.key; ipc cluster key)", valueHint: "file" },
    detach: { type: "boolean", description: "start the broker in the background and return once it answers; a broker that runs already takes --listen live (docs/remote.md)" },
    restart: {
      type: "boolean",
      description: "with --detach: replace the running broker by one with these settings, handing over with no moment in which another client could start one",
    },
    succeed: { type: "string", description: "take over from the broker with this pid once it hands over (what --restart runs)", valueHint: "pid" },
    ...limitArgs,
  },
  async run({ args, rawArgs }) {
    const limits: Partial<Record<keyof Limits, string>> = {};
    for (const s of LIMIT_SETTINGS) limits[s.key] = (args as Record<string, string | undefined>)[s.flag];
    const listen = repeated(rawArgs, "--listen");
    const config = configFrom(args, {
      limits,
      tcp: args.tcp === false ? false : undefined,
      open: args.open === true ? true : undefined,
      listen: listen.length > 0 ? listen : undefined,
      nats: args.nats,
      natsCreds: args["nats-creds"],
      natsCa: args["nats-ca"],
      natsInsecure: args["nats-insecure"] === true ? true : undefined,
      space: args.space,
      spaceKey: args["space-key"],
    });
    if (config.cluster !== null) await checkCluster(config.cluster);
    if (args.restart && !args.detach) throw usageError("--restart goes with --detach: ipc serve --detach --restart [settings…]");
    if (args.detach) return detach(config, rawArgs, args.restart === true);
    await foreground(config, args.succeed === undefined ? undefined : pidArg(args.succeed));
  },
});

/**
 * Refuses to start a broker whose NATS connection would be unsafe, or that has no usable space key
 * (docs/security.md#the-cluster-nats).
 * @throws IpcError (exit 2) saying what to do.
 */
async function checkCluster(c: NonNullable<Config["cluster"]>): Promise<void> {
  const why = clusterRefusal(c);
  if (why !== null) throw new IpcError("BAD_REQUEST", why, 2);
  const { readSpaceKey } = await import("../cluster/space-key.ts");
  readSpaceKey(c.keyFile, c.space);
}

/** Every value of a repeatable flag (`--flag v` or `--flag=v`): citty keeps only the last. */
function repeated(rawArgs: string[], flag: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i]!;
    if (a === flag && i + 1 < rawArgs.length) values.push(rawArgs[++i]!);
    else if (a.startsWith(`${flag}=`)) values.push(a.slice(flag.length + 1));
  }
  return values;
}

/** `--succeed PID`. @throws usage error for anything but a process id. */
function pidArg(text: string): number {
  const pid = Number(text);
  if (!/^\d{1,10}$/.test(text) || pid < 2) throw usageError(`--succeed takes the pid of the broker being replaced, got "${text}"`);
  return pid;
}

async function foreground(config: Config, succeed?: number): Promise<void> {
  process.umask(0o077);
  const { AlreadyRunning, startBroker } = await import("../broker/edge/server.ts");
  let handle: Awaited<ReturnType<typeof startBroker>>;
  try {
    handle = await startBroker(config, { succeed });
  } catch (err) {
    if (err instanceof AlreadyRunning) {
      errOut(`ipc: ${err.message}; nothing to do\n`);
      return;
    }
    throw err;
  }
  const stop = () => void handle.stop();
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  process.on("SIGHUP", () => {}); // outlive the terminal that started us
  await handle.stopped;
}

/** `--detach`: the broker in the background with this command line (src/client/detach.ts), said in one line. */
async function detach(config: Config, rawArgs: string[], restart: boolean): Promise<void> {
  const d = await detachBroker(config, withoutDetach(rawArgs), restart);
  const s = d.status;
  // Listeners added just now are said apart from those the broker had.
  const tls = (s.tls?.listeners ?? []).filter((l) => !d.added.some((a) => a.host === l.host && a.port === l.port)).map(listenText);
  const where = `${s.host}:${s.port}${s.socket ? ` and ${s.socket}` : ""}${tls.length > 0 ? `, TLS on ${tls.join(", ")}` : ""}`;
  const added = d.added.length > 0 ? ` It now also listens on ${d.added.map(listenText).join(", ")} (TLS), until it stops.` : "";
  const text = {
    started: `Broker started (pid ${s.pid}) on ${where}; log: ${d.log}`,
    restarted: `Broker restarted: pid ${d.replaced} handed over to pid ${s.pid}, on ${where}; log: ${d.log}`,
    raced: `Another client started this IPC_HOME's broker (pid ${s.pid}) just before this one; it serves on ${where}.${added}`,
    running: `A broker is already running (pid ${s.pid}) on ${where}.${added}`,
  }[d.outcome];
  emit(config, () => text, {
    started: d.outcome === "started" || d.outcome === "restarted",
    ...(d.replaced !== undefined && { replaced: d.replaced }),
    pid: s.pid,
    host: s.host,
    port: s.port,
    socket: s.socket,
    tls: s.tls ?? null,
    added: d.added,
    log: d.log,
  });
}
