/**
 * Who the MCP server acts as, and how that survives (docs/design.md#9-identity-and-sessions):
 *
 * - With IPC_NAME / --as, the server registers that name at start (NAME_TAKEN
 *   when another live seat holds it, unless --takeover).
 * - Without a name but with a seat template (IPC_SEAT / --seat, written by
 *   `ipc setup` at user scope), it registers `<seat>-<project>`, or the first
 *   free `-2`, `-3`, … when another live session holds that (docs/identity.md).
 * - A registered identity is saved per host process in
 *   `$IPC_HOME/mcp-parents/<parent pid>.json` (0600), so when the host kills
 *   and respawns `ipc mcp` the new server resumes the same session (and a
 *   name it renamed to) without registering again.
 * - A broker restart or an expired session is handled by the Agent: it
 *   reconnects, re-registers the same name and retries once; the new token is
 *   written back here after the call.
 * - It is also saved per server process, with the server's folder, and bound
 *   to the host thread a tool call names (src/home/mcp-servers.ts), so that a
 *   host running the servers of several sessions in one process (Codex's
 *   shared background server) still gives each session its own name and wake.
 */
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { isAlive, writePrivate } from "../home/files.ts";
import { loadParentSession, type ParentSession, parentSessionPath, parentSessionsDir } from "../home/mcp-parents.ts";
import { bindThread, pruneServerRecords, realDir, saveServerRecord } from "../home/mcp-servers.ts";
import type { Agent, RegisterOptions } from "../client/agent.ts";
import { hostPid } from "../client/host-process.ts";
import { defaultName } from "../client/seat.ts";
import { forgetSession, saveSession } from "../client/session-store.ts";
import type { Config } from "../config.ts";
import { IpcError } from "../protocol/errors.ts";
import { normalizeName } from "../protocol/names.ts";
import type { ResultOf } from "../protocol/responses.ts";
import { NOT_REGISTERED, explain } from "./errors.ts";
import { log } from "./log.ts";

/** Saves host process `ppid`'s session (mode 0600, atomically). */
export function saveParentSession(config: Pick<Config, "home">, ppid: number, s: ParentSession): void {
  writePrivate(parentSessionPath(config, ppid), JSON.stringify({ ...s, saved_at: new Date().toISOString() }));
}

/** Deletes the saved sessions of host processes that no longer run (so a reused pid never inherits one). */
export function pruneParentSessions(config: Pick<Config, "home">): void {
  let files: string[];
  try {
    files = readdirSync(parentSessionsDir(config));
  } catch {
    return;
  }
  for (const f of files) {
    const pid = Number(f.replace(/\.json$/, ""));
    if (Number.isSafeInteger(pid) && pid > 1 && !isAlive(pid)) rmSync(join(parentSessionsDir(config), f), { force: true });
  }
  pruneServerRecords(config);
}

export interface IdentityOptions {
  /** The host process (default hostPid(): the parent, past npm/npx wrappers); 1 or less (orphaned, started by init) disables per-host persistence. */
  ppid?: number;
  /** The folder whose project names a seat's default name (default process.cwd()). */
  cwd?: string;
}

/** This server's identity: start-up registration or resumption, register, rename, persistence. */
export class Identity {
  /** Settles once the start-up identity (resumed or registered) is in place, or has failed. */
  readonly ready: Promise<void>;
  /** The name configured with IPC_NAME / --as, lower-cased; null when none. */
  private readonly configured: string | null;
  /** Without a configured name: the seat's default name `<seat>-<project>` (IPC_SEAT), else null. */
  readonly seatName: string | null;
  /** Called after the identity changed (register, rename): the server re-subscribes. */
  onChange: (() => void) | null = null;
  private saved: { name: string; token: string } | null = null;
  /** What this server's own record (mcp-servers.ts) holds. */
  private recorded: { name: string; token: string } | null = null;
  private readonly ppid: number;
  /** This server's folder (real path) and start time, for its per-server record. */
  private readonly cwd: string;
  private readonly started = Date.now();
  /** The host thread last bound to this server (a tool call's `_meta.threadId`). */
  private thread: string | null = null;

  constructor(
    private readonly agent: Agent,
    private readonly config: Config,
    options: IdentityOptions = {},
  ) {
    this.ppid = options.ppid ?? hostPid();
    this.cwd = realDir(options.cwd ?? process.cwd());
    this.configured = config.name === null ? null : normalizeName(config.name) ?? config.name;
    this.seatName = this.configured === null && config.seat !== null ? defaultName(config.seat, options.cwd ?? process.cwd()) : null;
    this.ready = this.start().catch((err) => log(`start-up identity failed: ${explain(err)}`));
  }

  /** True once this server has a name and a session. */
  get registered(): boolean {
    return this.agent.name !== null && this.agent.sessionToken !== null;
  }

  /** The name this server acts as, or null before register. */
  get name(): string | null {
    return this.registered ? this.agent.name : null;
  }

  private async start(): Promise<void> {
    if (this.ppid > 1) {
      pruneParentSessions(this.config);
      const saved = loadParentSession(this.config, this.ppid);
      // Resume only our own predecessor: configured the same way (no name matches no name), and gone.
      const sibling = saved?.pid !== undefined && saved.pid !== process.pid && isAlive(saved.pid);
      if (saved !== null && saved.as === this.configured && saved.seat === this.config.seat && !sibling) {
        this.agent.adopt(saved.name, saved.token);
        this.saved = { name: saved.name, token: saved.token };
        log(`resumed the session of ${saved.name} (same host process ${this.ppid})`);
        return;
      }
    }
    const name = this.configured ?? this.seatName;
    if (name !== null) {
      try {
        await this.registerStart();
      } catch (err) {
        log(`could not register ${name} at start: ${explain(err)} (will retry on the next tool call)`);
      }
    }
  }

  /** Registers the configured name (taking it over with --takeover) or the seat's default name (with a free suffix when held). */
  private registerStart(): Promise<ResultOf<"register">> {
    if (this.configured !== null) return this.register(this.configured, { takeover: this.config.takeover });
    return this.register(this.seatName!, { fallback: true });
  }

  /**
   * Makes sure this server acts as someone: registers the configured name (or
   * the seat's default name) if the start-up registration failed.
   * @throws IpcError UNAUTHENTICATED (not registered, no configured name), NAME_TAKEN, or the registration's error.
   */
  async ensure(): Promise<void> {
    await this.ready;
    if (this.registered) return;
    if (this.configured === null && this.seatName === null) throw new IpcError("UNAUTHENTICATED", NOT_REGISTERED);
    await this.registerStart();
  }

  /**
   * Registers `name` and acts as it from now on (the answered name: a fallback may add a suffix).
   * @throws IpcError INVALID_NAME, NAME_TAKEN, FORBIDDEN (shared secret), NO_BROKER.
   */
  async register(name: string, options: RegisterOptions = {}): Promise<ResultOf<"register">> {
    const r = await this.agent.register(name, options);
    this.sync();
    this.onChange?.();
    return r;
  }

  /** Records a successful rename: the agent acts as the new name, saved sessions follow. */
  renamed(r: ResultOf<"rename">): void {
    this.agent.name = r.new;
    const token = this.agent.sessionToken;
    if (token !== null) {
      saveSession(this.config, r.new, token);
      forgetSession(this.config, r.old);
    }
    this.sync();
    this.onChange?.();
  }

  /** Writes the current session to this host process's file when it changed (re-registration, rename). */
  sync(): void {
    const { name } = this.agent;
    const token = this.agent.sessionToken;
    if (this.ppid <= 1 || name === null || token === null) return;
    if (this.recorded?.name !== name || this.recorded.token !== token) {
      try {
        saveServerRecord(this.config, { pid: process.pid, host: this.ppid, cwd: this.cwd, name, token, started: this.started });
        this.recorded = { name, token };
      } catch (err) {
        log(`could not record this server's session: ${(err as Error).message}`);
      }
    }
    if (this.saved?.name === name && this.saved.token === token) return;
    try {
      saveParentSession(this.config, this.ppid, { name, token, as: this.configured, seat: this.config.seat, pid: process.pid });
      this.saved = { name, token };
    } catch (err) {
      log(`could not save the session for host process ${this.ppid}: ${(err as Error).message}`);
    }
  }

  /**
   * Notes the host thread a tool call came from (Codex 0.171: `_meta.threadId` of `tools/call`),
   * so that the thread's hooks and wake act as this server's name. Ignores anything not a string.
   */
  noteThread(thread: unknown): void {
    if (typeof thread !== "string" || thread === this.thread || this.ppid <= 1) return;
    try {
      bindThread(this.config, thread, process.pid);
      this.thread = thread;
    } catch (err) {
      log(`could not record thread ${thread.slice(0, 80)}: ${(err as Error).message}`);
    }
  }
}
