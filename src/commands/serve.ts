/** `ipc serve`: run the broker in the foreground, or start it in the background with --detach. */
import { defineCommand } from "citty";
import { brokerArgs, configFrom } from "../cli/args.ts";
import { emit, errOut } from "../cli/output.ts";
import { clusterRefusal, type Config, LIMIT_SETTINGS, type Limits, paths, sameHome } from "../config.ts";
import { connectBroker, spawnBroker } from "../client/connect.ts";
import { UntrustedBroker } from "../client/trust.ts";
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
    detach: { type: "boolean", description: "start the broker in the background and return once it answers" },
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
    if (args.detach) return detach(config);
    await foreground(config);
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

async function foreground(config: Config): Promise<void> {
  process.umask(0o077);
  const { AlreadyRunning, startBroker } = await import("../broker/server.ts");
  let handle: Awaited<ReturnType<typeof startBroker>>;
  try {
    handle = await startBroker(config);
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

async function detach(config: Config): Promise<void> {
  // Nothing answers: start one. Something that answers but is not this home's broker: say whose it is (never a second broker).
  const running = await connectBroker(config, false).catch((err: unknown) => {
    if (err instanceof IpcError && err.code === "NO_BROKER" && !(err instanceof UntrustedBroker)) return null;
    throw err;
  });
  if (running) {
    const s = await running.client.request("status", {});
    running.client.close();
    if (!sameHome(s.home, config.home)) {
      // Another IPC_HOME's broker holds the port: it would not use this home's database, sessions or key.
      throw new IpcError(
        "CONFLICT",
        `the broker on ${s.host}:${s.port} (pid ${s.pid}) serves IPC_HOME ${s.home}, not this one (${config.home}). ` +
          `Give this IPC_HOME its own port (IPC_PORT=<free port> ipc serve --detach), or use that broker's IPC_HOME`,
      );
    }
    emit(config, () => `A broker is already running (pid ${s.pid}) on ${s.host}:${s.port}.`, { started: false, pid: s.pid });
    return;
  }
  const child = spawnBroker(config);
  const deadline = performance.now() + 5_000;
  while (performance.now() < deadline) {
    const c = await connectBroker(config, false).catch(() => null);
    if (c) {
      const s = await c.client.request("status", {});
      c.client.close();
      emit(
        config,
        () => `Broker started (pid ${s.pid}) on ${s.host}:${s.port}${s.socket ? ` and ${s.socket}` : ""}; log: ${paths.log(config)}`,
        { started: true, pid: s.pid, host: s.host, port: s.port, socket: s.socket, log: paths.log(config) },
      );
      return;
    }
    if (child.exitCode !== null && child.exitCode !== 0) break;
    await Bun.sleep(25);
  }
  throw new IpcError("NO_BROKER", `the broker did not start; see ${paths.log(config)}`);
}
