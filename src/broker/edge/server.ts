/**
 * `startBroker`: the broker process's life. Takes the IPC_HOME lock, opens
 * the database, listens with Bun.listen on TCP (exclusive bind) and on the
 * optional Unix-domain socket, runs the sweeps, and shuts down cleanly.
 */
import type { Socket, TCPSocketListener, UnixSocketListener } from "bun";
import { hostname } from "node:os";
import { chmodSync, mkdirSync, rmSync, statSync } from "node:fs";
import { type Config, isLoopback, type ListenAddress, paths } from "../../config.ts";
import { assertOwnHome } from "../../home/owner.ts";
import { IpcError } from "../../protocol/errors.ts";
import { FrameTooLarge } from "../../protocol/ndjson.ts";
import { Checkpointer } from "../../store/checkpointer.ts";
import { databaseError, openDatabase } from "../../store/database.ts";
import { VERSION } from "../../version.ts";
import { Broker, type Clock } from "../broker.ts";
import { Connection, Mode } from "./connection.ts";
import { Admission, REFUSAL_GRACE_MS } from "./admission.ts";
import { reply } from "./error-reply.ts";
import { raiseFdLimit } from "./fd-limit.ts";
import { pump } from "./intake.ts";
import { errorFrame } from "./frames.ts";
import { acquireLock, awaitHandover, handOverLock, isAlive, type LockInfo, lockAge, probeAddress, probeOwner, removeLock, replaceLock } from "./lock.ts";
import { log, setLogLevel } from "../log.ts";
import { enforcePrivateModes } from "./permissions.ts";
import { Sweeper } from "../state/sweeper.ts";

/** Options for tests and the serve command. */
export interface BrokerOptions {
  /** Time source (ms); tests move it to expire things. */
  clock?: Clock;
  /** Seconds between retention sweeps (default 60). */
  sweepSeconds?: number;
  /**
   * The pid of the broker this one replaces (`ipc serve --succeed PID`, run by
   * `ipc serve --detach --restart`): wait until it hands over the IPC_HOME lock.
   */
  succeed?: number;
}

/** Messages added to the search index per step (two steps a second). */
const INDEX_STEP = 1_000;

/** A lock younger than this belongs to a broker that may still be starting (ms). */
const STALE_LOCK_MS = 5_000;

/** A running broker. */
export interface BrokerHandle {
  readonly broker: Broker;
  readonly host: string;
  readonly port: number;
  readonly socketPath: string | null;
  /** Runs a retention sweep now (tests). */
  sweep(): ReturnType<Sweeper["sweep"]>;
  /** Stops accepting, answers what is in flight, checkpoints and closes the database. Idempotent. */
  stop(): Promise<void>;
  /** True once `stop` has begun. */
  readonly stopping: boolean;
  /** Resolves once the broker has stopped (after `stop`, `shutdown` op or a signal handler's stop). */
  readonly stopped: Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Thrown when another live broker owns this IPC_HOME. */
export class AlreadyRunning extends Error {
  constructor(readonly owner: LockInfo) {
    super(
      owner.role === "import"
        ? `ipc import-legacy (pid ${owner.pid}) is writing this IPC_HOME; start the broker once it has finished`
        : `a broker is already running for this IPC_HOME (pid ${owner.pid}, ${owner.host}:${owner.port})`,
    );
  }
}

/**
 * Starts a broker for `config`.
 * @throws AlreadyRunning when another broker holds the IPC_HOME lock.
 * @throws IpcError when the address is exposed without a secret, the port is taken, or the database cannot open.
 */
export async function startBroker(config: Config, options: BrokerOptions = {}): Promise<BrokerHandle> {
  setLogLevel(config.logLevel);
  if (!config.tcp && config.socketPath === null) {
    throw new IpcError("BAD_REQUEST", "nothing to listen on: TCP is off (IPC_TCP=off) and so is the Unix socket (IPC_SOCKET=off)", 2);
  }
  if (config.tcp && !isLoopback(config.host)) {
    throw new IpcError(
      "FORBIDDEN",
      `refusing plain TCP on ${config.host}: anyone on the network could read tokens and messages. Keep IPC_HOST on loopback and add a TLS listener for other machines with \`ipc serve --listen ${config.host.includes(":") ? `[${config.host}]` : config.host}:${config.port === 0 ? 9876 : config.port}\` (see docs/remote.md)`,
      2,
    );
  }
  prepareHome(config);
  const lockPath = paths.lock(config);
  const lockInfo: LockInfo = {
    pid: process.pid,
    host: config.host,
    port: config.tcp ? config.port : 0,
    socket: config.socketPath,
    started_at: new Date().toISOString(),
  };
  let owner = acquireLock(lockPath, lockInfo);
  if (owner !== "acquired" && options.succeed !== undefined) owner = await awaitHandover(lockPath, lockInfo, options.succeed);
  if (owner !== "acquired" && lockAge(lockPath) > STALE_LOCK_MS && (await probeOwner(owner)) === "absent") {
    log.warn(`taking over a stale lock: pid ${owner.pid} holds ${lockPath} but nothing listens at its address`);
    removeLock(lockPath, owner.pid);
    owner = acquireLock(lockPath, lockInfo);
  }
  if (owner !== "acquired") throw new AlreadyRunning(owner);

  let db: ReturnType<typeof openDatabase> | undefined;
  let tcp: TCPSocketListener<Connection> | undefined;
  let unix: UnixSocketListener<Connection> | undefined;
  const network: TCPSocketListener<Connection>[] = [];
  let checkpointer: Checkpointer | null = null;
  let socketInode = 0;
  let broker: Broker | undefined;
  let handle: BrokerHandle | undefined;
  try {
    db = openDatabase(paths.database(config), config.synchronous);
    try {
      broker = new Broker(config, db, options.clock); // reads the registry: damaged pages show here
    } catch (err) {
      throw databaseError(paths.database(config), err);
    }
    const admission = new Admission(config.limits, raiseFdLimit(), config.socketPath !== null);
    if (admission.fdBound) {
      log.warn(`the open-file limit (ulimit -n ${admission.fd?.soft}) allows ${admission.maxConnections} connections, fewer than IPC_MAX_CONNECTIONS; more are refused`);
    }
    const handlers = socketHandlers(broker, admission);
    const started = broker;
    const tlsHandlers = handlers("tls");
    // One `listen` at a time: two asking for the same address get one listener.
    let listening: Promise<unknown> = Promise.resolve();
    started.addListeners = (addresses) => {
      const run = listening.then(() => addListeners(started, tlsHandlers, addresses, network, () => handle?.stopping ?? false));
      listening = run.catch(() => {});
      return run;
    };
    // Everything `status` reports is in place before the local listeners take a client: `ipc serve
    // --detach` compares it with what it was asked for as soon as the broker answers.
    if (config.listen.length > 0) broker.tls = await listenTls(broker, tlsHandlers, config.listen, network);
    if (config.cluster !== null) {
      // Loaded only with --nats: a broker on its own never imports the NATS clients.
      const { startCluster } = await import("../../cluster/cluster.ts");
      broker.cluster = startCluster(broker, config.cluster);
    }
    try {
      if (config.tcp) {
        tcp = Bun.listen<Connection>({
          hostname: config.host,
          port: config.port,
          exclusive: true,
          allowHalfOpen: true,
          socket: handlers("tcp"),
        });
      }
    } catch (err) {
      throw new IpcError(
        "CONFLICT",
        `cannot listen on ${config.host}:${config.port} (${(err as Error).message}). Another program (or a broker for another IPC_HOME) uses that port: stop it, or choose another with IPC_PORT / --port`,
      );
    }
    if (config.socketPath !== null) {
      if ((await probeAddress({ unix: config.socketPath }, 300)) !== "absent") {
        throw new IpcError("CONFLICT", `${config.socketPath} is served by another process; stop it (ipc stop) or choose another IPC_SOCKET`);
      }
      rmSync(config.socketPath, { force: true });
      unix = Bun.listen<Connection>({ unix: config.socketPath, allowHalfOpen: true, socket: handlers("unix") });
      chmodSync(config.socketPath, 0o600);
      socketInode = statSync(config.socketPath).ino;
    }
    const port = tcp?.port ?? 0;
    lockInfo.port = port;
    broker.address = { host: config.host, port, socket: config.socketPath };
    checkpointer = await Checkpointer.start(db, paths.database(config));
    if (checkpointer === null) log.warn("WAL checkpoints run on the broker's thread (no worker thread available)");
    replaceLock(lockPath, lockInfo);
    handle = running(broker, admission, tcp, network, unix, lockPath, options, checkpointer, socketInode);
    return handle;
  } catch (err) {
    await broker?.cluster?.stop().catch(() => {});
    await checkpointer?.stop();
    for (const l of network) l.stop(true);
    tcp?.stop(true);
    unix?.stop(true);
    db?.close();
    removeLock(lockPath);
    throw err;
  }
}

function running(
  broker: Broker,
  admission: Admission,
  tcp: TCPSocketListener<Connection> | undefined,
  /** The TLS network listeners; `listen` adds to it while the broker runs, and stop closes them all. */
  network: TCPSocketListener<Connection>[],
  unix: UnixSocketListener<Connection> | undefined,
  lockPath: string,
  options: BrokerOptions,
  checkpointer: Checkpointer | null,
  socketInode: number,
): BrokerHandle {
  const { config } = broker;
  const tcpListeners = () => [tcp, ...network];
  const sweeper = new Sweeper(broker);
  const sweepTimer = setInterval(() => safely("sweep", () => sweeper.sweep()), (options.sweepSeconds ?? 60) * 1000);
  const reapTimer = setInterval(() => reapIdle(broker, admission), 1000);
  // The search index follows the messages in small steps (about 2.5 ms each), off the request path.
  const indexTimer = setInterval(
    () =>
      safely("search indexing", () => {
        if (!broker.search.behind) return;
        broker.commit.begin();
        broker.search.catchUp(INDEX_STEP);
      }),
    500,
  );
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  let stopping: Promise<void> | undefined;

  /** Stops; with `successor`, hands the lock to that pid instead of removing it (a restart without a gap). */
  const stop = (successor?: number): Promise<void> => {
    stopping ??= (async () => {
      clearInterval(sweepTimer);
      clearInterval(reapTimer);
      clearInterval(indexTimer);
      for (const l of tcpListeners()) l?.stop(false);
      unix?.stop(false);
      safely("dashboard", () => broker.dashboard?.stop());
      await broker.cluster?.stop().catch((err: unknown) => log.warn(`cluster: ${(err as Error).message}`));
      safely("final sweep", () => sweeper.sweep());
      broker.commit.flush();
      for (const c of broker.connections) {
        for (const w of c.waiters) {
          broker.waiters.remove(w);
          const message = "the broker stopped while this check was waiting (ipc stop); check again to start one";
          c.write(errorFrame(w.requestId, { code: "UNAVAILABLE", message }));
        }
        c.waiters.clear();
        c.end();
      }
      // Let queued replies reach their sockets before the listeners close for good.
      await Bun.sleep(20);
      for (const l of tcpListeners()) l?.stop(true);
      unix?.stop(true);
      await checkpointer?.stop();
      safely("checkpoint", () => broker.db.exec("PRAGMA wal_checkpoint(TRUNCATE)"));
      broker.db.close();
      if (config.socketPath !== null && socketInodeOf(config.socketPath) === socketInode) rmSync(config.socketPath, { force: true });
      if (successor !== undefined && isAlive(successor) && handOverLock(lockPath, successor)) {
        log.info(`broker stopped (pid ${process.pid}); IPC_HOME handed over to the broker replacing it (pid ${successor})`);
      } else {
        removeLock(lockPath);
        log.info(`broker stopped (pid ${process.pid})`);
      }
      resolveStopped();
    })();
    return stopping;
  };
  broker.requestShutdown = (successor) => void stop(successor);
  if (broker.shutdownRequested !== null) setImmediate(() => broker.requestShutdown(broker.shutdownRequested?.successor));
  const tls = broker.tls?.listeners.map((l) => `${l.host.includes(":") ? `[${l.host}]` : l.host}:${l.port} (TLS)`) ?? [];
  const where = [tcp ? `${config.host}:${tcp.port}` : null, config.socketPath, ...tls].filter(Boolean).join(" and ");
  log.info(`ipc ${VERSION} broker listening on ${where} (${modeText(config)}), home ${config.home}, pid ${process.pid}`);
  if (config.open) {
    log.warn(
      "OPEN MODE (IPC_OPEN=1 / --open): any local user can connect, list names, read status and, without a shared secret, register any name, read its mail and send as it",
    );
  }
  return {
    broker,
    host: config.host,
    port: tcp?.port ?? 0,
    socketPath: config.socketPath,
    sweep: () => sweeper.sweep(),
    stop: () => stop(),
    get stopping() {
      return stopping !== undefined;
    },
    stopped,
    [Symbol.asyncDispose]: () => stop(),
  };
}

type TlsSocketHandlers = ReturnType<ReturnType<typeof socketHandlers>>;

/**
 * Opens a TLS listener for each of `addresses` with the broker's certificate
 * (made on first use), pushing them onto `into`. All or none: when one cannot
 * be bound, those opened here are closed again.
 * @returns the certificate fingerprint joined machines pin, and the bound addresses.
 * @throws IpcError CONFLICT when an address cannot be bound (naming it).
 */
async function listenTls(broker: Broker, socket: TlsSocketHandlers, addresses: ListenAddress[], into: TCPSocketListener<Connection>[]) {
  const { ensureTlsIdentity } = await import("../../remote/certificate.ts");
  const identity = await ensureTlsIdentity(broker.config, hostname());
  const opened: TCPSocketListener<Connection>[] = [];
  const listeners: { host: string; port: number }[] = [];
  for (const a of addresses) {
    if (a.host === "0.0.0.0" || a.host === "::") {
      log.warn(`listening on every interface (${a.host}:${a.port}) as --listen asked: every network this machine is on can reach the TLS listener (joined machines only get in)`);
    }
    try {
      const l = Bun.listen<Connection>({ hostname: a.host, port: a.port, exclusive: true, allowHalfOpen: true, tls: { cert: identity.cert, key: identity.key }, socket });
      opened.push(l);
      listeners.push({ host: a.host, port: l.port });
    } catch (err) {
      for (const l of opened) l.stop(true);
      throw new IpcError("CONFLICT", `cannot listen on ${a.host}:${a.port} (${(err as Error).message}): choose another --listen address or port`);
    }
  }
  into.push(...opened);
  return { fingerprint: identity.fingerprint, listeners };
}

/**
 * The `listen` op's work: opens TLS listeners on those of `addresses` the
 * broker does not listen on yet (port 0 matches any listener on that host),
 * until it stops.
 * @returns the listeners it added.
 * @throws IpcError UNAVAILABLE while the broker stops; CONFLICT when an address cannot be bound.
 */
async function addListeners(broker: Broker, socket: TlsSocketHandlers, addresses: ListenAddress[], into: TCPSocketListener<Connection>[], stopping: () => boolean) {
  const have = () => broker.tls?.listeners ?? [];
  const missing = (list: ListenAddress[]) => list.filter((a) => !have().some((l) => l.host === a.host && (a.port === 0 || l.port === a.port)));
  const wanted = missing(addresses).filter((a, i, all) => all.findIndex((b) => b.host === a.host && b.port === a.port) === i);
  if (wanted.length === 0) return [];
  if (stopping()) throw new IpcError("UNAVAILABLE", "the broker is stopping: start it again with ipc serve --detach --listen …");
  const opened = await listenTls(broker, socket, wanted, into);
  if (stopping()) {
    // Stop began while the certificate was read: close what it would not.
    for (const l of into.splice(into.length - opened.listeners.length)) l.stop(true);
    throw new IpcError("UNAVAILABLE", "the broker is stopping: start it again with ipc serve --detach --listen …");
  }
  broker.tls = { fingerprint: opened.fingerprint, listeners: [...have(), ...opened.listeners] };
  const where = opened.listeners.map((l) => `${l.host.includes(":") ? `[${l.host}]` : l.host}:${l.port} (TLS)`).join(" and ");
  log.info(`now also listening on ${where}, as the broker's owner asked (until the broker stops)`);
  return opened.listeners;
}

/** The security mode in words, for the start line of the log. */
function modeText(config: Config): string {
  if (config.open) return config.secret ? "open mode: no authentication needed, except the shared secret to register" : "open mode: no authentication";
  return `authentication required: the key in ${paths.key(config)}${config.secret ? " or the shared secret" : ""}`;
}

/** Bun.listen socket handlers feeding `broker`, admitting connections through `admission`. */
function socketHandlers(broker: Broker, admission: Admission) {
  const { maxFrameBytes } = broker.config.limits;
  // Incomplete frames of all connections together (unauthenticated clients can send them).
  const inputBudget = { held: 0, max: broker.config.limits.maxHeldInputBytes };
  return (transport: "tcp" | "unix" | "tls") => ({
    open(socket: Socket<Connection>) {
      const conn = new Connection(socket, transport, maxFrameBytes, broker.newBucket(), inputBudget, broker.outputBudget);
      socket.data = conn;
      const refusal = admission.admit(conn, broker.connections.size);
      if (refusal !== null) {
        conn.closed = true;
        if (refusal === "cut") {
          socket.terminate();
          return;
        }
        socket.write(errorFrame(null, { code: "RATE_LIMITED", message: refusal, retry_after_ms: 1000 }));
        socket.end();
        // A refused peer that never closes its side must not keep the descriptor.
        setTimeout(() => socket.terminate(), REFUSAL_GRACE_MS).unref();
        return;
      }
      broker.connections.add(conn);
      conn.onRoom = () => pump(broker, conn);
    },
    data(socket: Socket<Connection>, chunk: Buffer) {
      const conn = socket.data;
      if (conn.closed || conn.mode >= Mode.Legacy) return;
      let why: string | null = null;
      try {
        conn.decoder.push(chunk, conn.sink);
      } catch (err) {
        if (!(err instanceof FrameTooLarge)) throw err;
        why = err.shared
          ? `the broker holds too much unfinished input from all connections (${err.limit} bytes); closing this one`
          : `frame larger than ${maxFrameBytes} bytes (IPC_MAX_FRAME_BYTES); closing the connection`;
      }
      // Reading stops while requests wait (intake.ts): two frames' worth queued means it did not.
      if (why === null && conn.queuedChars > 2 * maxFrameBytes) {
        why = `more than ${2 * maxFrameBytes} bytes of requests sent without reading the replies; closing the connection`;
      }
      if (why !== null) {
        conn.decoder.clear();
        conn.dropQueuedFrames();
        conn.mode = Mode.Closing;
        reply(broker, conn, null, new IpcError("TOO_LARGE", why));
        return;
      }
      pump(broker, conn);
    },
    drain(socket: Socket<Connection>) {
      socket.data.drain();
    },
    end(socket: Socket<Connection>) {
      const conn = socket.data;
      if (conn.closed) return;
      // The peer will send nothing more: close once what it sent is answered.
      conn.peerEnded = true;
      if (!conn.held) pump(broker, conn);
    },
    close(socket: Socket<Connection>) {
      const conn = socket.data;
      if (!conn) return;
      admission.closed(conn);
      // Nobody will read the answers: drop what was queued for this connection at once.
      conn.decoder.clear();
      conn.dropQueuedFrames();
      conn.dropQueuedOutput();
      broker.commit.forget(conn);
      conn.closed = true;
      broker.unbind(conn);
      broker.connections.delete(conn);
    },
    error(_socket: Socket<Connection>, err: Error) {
      log.warn(`socket error: ${err.message}`);
    },
  });
}

/**
 * Closes TCP connections that did not authenticate in time, unauthenticated
 * connections idle too long, and frames left incomplete too long (slowloris).
 */
function reapIdle(broker: Broker, admission: Admission): void {
  const now = performance.now();
  const { authTimeoutSeconds } = broker.config.limits;
  for (const conn of admission.overdue(now)) {
    const message =
      conn.transport === "tls"
        ? `no joined machine proved within ${admission.tlsProofSeconds} s on this network listener: closing the connection (pair with ipc join <link from ipc invite>)`
        : `not authenticated within ${authTimeoutSeconds} s (IPC_AUTH_TIMEOUT): register or auth first; closing the connection`;
    conn.write(errorFrame(null, { code: "UNAUTHENTICATED", message }));
    conn.end();
    setTimeout(() => conn.socket.terminate(), REFUSAL_GRACE_MS).unref();
  }
  const limitMs = broker.config.limits.idleTimeoutSeconds * 1000;
  if (limitMs === 0) return;
  for (const conn of broker.connections) {
    const partial = conn.decoder.partialSince;
    if (partial > 0 && now - partial > limitMs) {
      conn.decoder.clear();
      conn.write(errorFrame(null, { code: "BAD_REQUEST", message: `frame incomplete for ${limitMs / 1000} s; closing the connection` }));
      conn.end();
    } else if (conn.session === null && now - conn.lastActivity > limitMs) {
      conn.end();
    }
  }
}

/** Creates IPC_HOME (0700) and tightens the modes of what it holds, saying what it changed. */
function prepareHome(config: Config): void {
  assertOwnHome(config.home);
  mkdirSync(config.home, { recursive: true, mode: 0o700 });
  for (const f of enforcePrivateModes(config)) {
    log.warn(`${f.path} had mode ${f.was.toString(8)}, open to other users; changed it to ${f.now.toString(8)}`);
  }
}

/** The inode of the socket file now at `path` (0 when none): only our own socket is removed at stop. */
function socketInodeOf(path: string): number {
  try {
    return statSync(path).ino;
  } catch {
    return 0;
  }
}

function safely(what: string, fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    log.error(`${what} failed: ${(err as Error).message}`);
  }
}
