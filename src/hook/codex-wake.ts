/**
 * Waking an idle Codex session with its mail. Codex's SessionStart hook
 * (`ipc hook codex`, which fires when the session's thread starts: at its
 * first prompt, on resume, after /new) arms one waiter per Codex process: a
 * detached `ipc hook codex --wake --thread <session_id> --pid <codex pid>`
 * that lives as long as that process. It holds a push wait (peeking) on the
 * broker; when mail arrives it hands the framed text to the session with
 * `codex queue --thread <id> --message <text>` (Codex 0.171: the message is
 * stored in Codex's state database and the running session takes it as its
 * next user turn: at once when idle, after the current turn when busy). Its
 * wait is a deliverer's (`check {deliver}`, docs/wake.md#delivery-states):
 * what arrives is leased to it, and it acks `delivered` once `codex queue`
 * succeeded (the message is read, its sender hears `delivered`); if `codex
 * queue` fails it acks `delivered: false`: nothing is marked read and the
 * turn hooks show the mail at the next turn.
 *
 * With Codex's shared background server (daemon_auto_start, Codex 0.171's
 * default), the MCP servers and hooks of every session are children of that
 * one process; the waiter then finds its thread's own `ipc mcp`
 * (src/home/mcp-servers.ts), acts as its name, holds one slot per thread and
 * ends with that server (Codex ends a thread's MCP server when it unloads
 * the thread).
 *
 * While it hands mail over, the session's turn hooks wait for it
 * (awaitHandOver), so that a prompt typed meanwhile does not show the same
 * mail as context too.
 *
 * One waiter per Codex process and the wake budget are the Claude Code
 * waiter's (wake-slot.ts): a newer waiter of the same process supersedes the
 * older one, and at most DEFAULT_MAX_WAKES wakes per WAKE_WINDOW_MS reach the
 * session; more mail waits for the window or the next prompt.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { isAlive } from "../home/files.ts";
import { isAbsolute, join } from "node:path";
import { Agent } from "../client/agent.ts";
import { selfCommand } from "../client/connect.ts";
import { hostSessionPid, processArgs, processStart } from "../client/host-process.ts";
import { loadSession, writePrivate } from "../client/session-store.ts";
import { type Config, paths } from "../config.ts";
import { loadParentSession } from "../home/mcp-parents.ts";
import { sharedHost, threadServer } from "../home/mcp-servers.ts";
import { IpcError } from "../protocol/errors.ts";
import type { Message } from "../protocol/message.ts";
import { normalizeName } from "../protocol/names.ts";
import { HOOK_MESSAGE_LIMIT } from "./claude-code.ts";
import { hookContext } from "./context.ts";
import { DEFAULT_MAX_WAKES } from "./wake.ts";
import { WAKE_WINDOW_MS, claimSlot } from "./wake-slot.ts";

/** How long the waiter looks for its session's name at start, while Codex's ipc MCP server registers (ms). */
const IDENTITY_WAIT_MS = 20_000;
/** How often the Codex process is checked for life (ms). */
const LIFE_CHECK_MS = 2_000;
/** Longest pause between attempts while no broker answers or `codex queue` fails (ms). */
const MAX_BACKOFF_MS = 30_000;
/** Longest single held check (s): the broker's limit. */
const MAX_CHECK_WAIT_S = 3_600;
/** Longest a `codex queue` run may take (ms). */
const QUEUE_TIMEOUT_MS = 20_000;

/** A Codex thread id as hooks give it (`session_id`, a UUID); anything else is refused. */
const THREAD_ID = /^[0-9A-Za-z][0-9A-Za-z_-]{0,127}$/;

/** True when `id` can be passed to `codex queue --thread`. */
export function isThreadId(id: unknown): id is string {
  return typeof id === "string" && THREAD_ID.test(id);
}

/** The log of the waiter of thread `thread` of Codex process `hostPid` (in $IPC_HOME/wake/; not a slot file). */
export function codexWakeLog(config: Pick<Config, "home">, hostPid: number, thread: string): string {
  return join(paths.wake(config), `codex-${hostPid}-${thread}.log`);
}

/** Longest a turn hook waits for the waiter to finish handing mail to Codex (ms): under the hook's own 10 s deadline. */
const HAND_OVER_WAIT_MS = 8_000;
/** A hand-over file older than this is a waiter that died mid-way, not one at work (ms). */
const HAND_OVER_STALE_MS = 30_000;

/** The file that says the waiter of Codex process `hostPid` is handing mail to Codex right now. */
function handOverFile(config: Pick<Config, "home">, hostPid: number): string {
  return join(paths.wake(config), `codex-${hostPid}.handing`);
}

/**
 * For the turn hooks of a Codex session: waits (at most HAND_OVER_WAIT_MS) while its waiter
 * is handing mail to Codex, so that mail it queued and is about to mark read is not also
 * taken by the hook (the model would see it twice). Returns at once when no hand-over is under way.
 */
export async function awaitHandOver(config: Pick<Config, "home">, hostPid = hostSessionPid()): Promise<void> {
  const file = handOverFile(config, hostPid);
  const busy = () => {
    try {
      const st = statSync(file);
      if (Date.now() - st.mtimeMs > HAND_OVER_STALE_MS) return false;
      const pid = (JSON.parse(readFileSync(file, "utf8")) as { pid?: unknown }).pid;
      return typeof pid === "number" && isAlive(pid);
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + HAND_OVER_WAIT_MS;
  while (busy() && Date.now() < deadline) await Bun.sleep(50);
}

/** Deletes the waiter logs of Codex processes that no longer run. */
function pruneLogs(config: Pick<Config, "home">): void {
  for (const f of readdirSync(paths.wake(config))) {
    const pid = Number(/^codex-(\d+)(-[\w-]+)?\.(log|handing)$/.exec(f)?.[1]);
    if (Number.isSafeInteger(pid) && pid > 1 && !isAlive(pid)) rmSync(join(paths.wake(config), f), { force: true });
  }
}

/** The command that runs Codex's CLI for the Codex process `hostPid`: its own executable when known, else `codex` on PATH; null when neither. */
export function codexCommand(hostPid: number): string[] | null {
  const own = processArgs(hostPid)[0];
  if (own !== undefined && isAbsolute(own) && existsSync(own) && /codex/.test(own)) return [own];
  const onPath = Bun.which("codex");
  return onPath === null ? null : [onPath];
}

/**
 * Starts the waiter of this Codex session in the background (detached: it
 * outlives the hook, not the Codex process) and returns at once. `input` is the
 * SessionStart hook's input. Problems go to `warn`; nothing throws.
 */
export function armCodexWake(config: Config, input: Record<string, unknown>, warn: (line: string) => void): number | null {
  if (input.hook_event_name !== "SessionStart") return null;
  if (!isThreadId(input.session_id)) {
    warn("ipc hook codex: the SessionStart input has no usable session_id; no wake waiter (mail still arrives at each turn)");
    return null;
  }
  const hostPid = hostSessionPid();
  if (codexCommand(hostPid) === null) {
    warn("ipc hook codex: cannot find the codex executable (neither the session's own nor on PATH); no wake waiter (mail still arrives at each turn)");
    return null;
  }
  const args = ["hook", "codex", "--wake", "--thread", input.session_id, "--pid", String(hostPid), "--home", config.home, "--host", config.host, "--port", String(config.port)];
  if (config.name !== null) args.push("--as", config.name);
  try {
    mkdirSync(paths.wake(config), { recursive: true, mode: 0o700 });
    pruneLogs(config);
    const log = openSync(codexWakeLog(config, hostPid, input.session_id), "w", 0o600);
    try {
      // In the thread's folder: under Codex's shared server that folder picks the thread's own ipc MCP server.
      const cwd = typeof input.cwd === "string" && existsSync(input.cwd) ? input.cwd : undefined;
      const proc = Bun.spawn([...selfCommand(), ...args], { stdio: ["ignore", log, log], detached: true, ...(cwd !== undefined && { cwd }) });
      proc.unref();
      return proc.pid;
    } finally {
      closeSync(log);
    }
  } catch (err) {
    warn(`ipc hook codex: could not start the wake waiter (${err instanceof Error ? err.message : String(err)}); mail still arrives at each turn`);
    return null;
  }
}

/** Runs `codex queue --thread <thread> --message <text>`; null on success, else why it failed. */
export async function codexQueue(codex: string[], thread: string, text: string): Promise<string | null> {
  try {
    const proc = Bun.spawn([...codex, "queue", "--thread", thread, "--message", text], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    const timer = setTimeout(() => proc.kill(), QUEUE_TIMEOUT_MS);
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited, new Response(proc.stdout).text()]);
    clearTimeout(timer);
    if (code === 0) return null;
    const why = stderr.split("\n").filter((l) => l.trim() !== "" && !/^\s*WARNING:/.test(l)).join(" ").trim();
    return `codex queue exited ${code}${why ? `: ${why.slice(0, 300)}` : ""}`;
  } catch (err) {
    return `codex queue could not run: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/**
 * Whether this Codex has `codex queue` (Codex 0.171 has it): null when `codex queue --help`
 * succeeds, else why not (older Codex: "unrecognized subcommand").
 */
export async function codexQueueMissing(codex: string[]): Promise<string | null> {
  try {
    const proc = Bun.spawn([...codex, "queue", "--help"], { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
    const timer = setTimeout(() => proc.kill(), QUEUE_TIMEOUT_MS);
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    clearTimeout(timer);
    if (code === 0) return null;
    const why = stderr.split("\n").find((l) => /error/i.test(l))?.trim() ?? `exit ${code}`;
    return `${codex.join(" ")} has no \`codex queue\` (${why.slice(0, 200)})`;
  } catch (err) {
    return `${codex.join(" ")} could not run (${err instanceof Error ? err.message : String(err)})`;
  }
}

/**
 * Who the hooks and the waiter of Codex thread `thread` (in folder `cwd`, hooks run by
 * process `hostPid`) act as: --as/IPC_NAME with its saved session, else the name of the
 * thread's own ipc MCP server (mcp-servers.ts; `server` is its pid), else the session
 * Codex's ipc MCP server recorded for `hostPid`.
 */
export function codexIdentity(config: Config, hostPid: number, thread?: string, cwd?: string): { name: string; token: string; server: number | null } | null {
  const own = thread === undefined || cwd === undefined ? null : threadServer(config, thread, hostPid, cwd);
  const ownName = own === null ? null : normalizeName(own.name);
  if (own !== null && ownName !== null && (config.name === null || normalizeName(config.name) === ownName)) return { name: ownName, token: own.token, server: own.pid };
  const id = hostIdentity(config, hostPid);
  return id === null ? null : { ...id, server: null };
}

/** --as/IPC_NAME with its saved session, else the session Codex's ipc MCP server recorded for `hostPid`. */
function hostIdentity(config: Config, hostPid: number): { name: string; token: string } | null {
  const mcp = loadParentSession(config, hostPid);
  const mcpName = mcp === null ? null : normalizeName(mcp.name);
  if (config.name === null) return mcp === null || mcpName === null ? null : { name: mcpName, token: mcp.token };
  const name = normalizeName(config.name);
  if (name === null) return null;
  if (mcpName === name) return { name, token: mcp!.token };
  const saved = loadSession(config, name);
  return saved === null ? null : { name, token: saved.token };
}

export interface CodexWakeOptions {
  /** The Codex thread (the hooks' session_id). */
  thread: string;
  /** The Codex process; the waiter ends with it. */
  hostPid: number;
  /** The thread's folder (the SessionStart hook's `cwd`; default: this process's). */
  cwd?: string;
  /** Longest hold (ms). */
  holdMs: number;
  warn: (line: string) => void;
  /** At most this many wakes per WAKE_WINDOW_MS (default DEFAULT_MAX_WAKES). */
  maxWakes?: number;
  /** How to hand text to the session (default: codexQueue with codexCommand(hostPid)); null on success, else why not. */
  deliver?: (thread: string, text: string) => Promise<string | null>;
}

/** Resolves when `ms` pass or `stop` fires, whichever first. */
function pause(ms: number, stop: Promise<void>): Promise<void> {
  return Promise.race([Bun.sleep(ms), stop]);
}

/**
 * The waiter of one Codex session: wakes it with each batch of mail until the
 * Codex process ends, a newer waiter of the same process takes over, or the
 * hold is over. Returns how many wakes it made. Never throws.
 */
export async function codexWakeWaiter(config: Config, opts: CodexWakeOptions): Promise<number> {
  const start = processStart(opts.hostPid);
  const hostAlive = () => {
    try {
      process.kill(opts.hostPid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
    }
    return start === null || processStart(opts.hostPid) === start;
  };
  if (!hostAlive()) {
    opts.warn(`ipc hook codex --wake: the Codex process ${opts.hostPid} is not running; not waiting`);
    return 0;
  }
  const codex = codexCommand(opts.hostPid);
  const deliver = opts.deliver ?? (codex === null ? null : (thread: string, text: string) => codexQueue(codex, thread, text));
  if (deliver === null) {
    opts.warn("ipc hook codex --wake: cannot find the codex executable; not waiting");
    return 0;
  }
  if (opts.deliver === undefined && codex !== null) {
    const missing = await codexQueueMissing(codex);
    if (missing !== null) {
      opts.warn(`ipc hook codex --wake: ${missing}: this Codex cannot be woken; mail still reaches it at each turn (turn hooks). Not waiting`);
      return 0;
    }
  }
  let endReason: string | null = null;
  let endNow: () => void = () => {};
  const ended = new Promise<void>((resolve) => (endNow = resolve));
  const end = (why: string) => {
    endReason ??= why;
    endNow();
  };
  // The thread's own MCP server, once known: with Codex's shared server the waiter ends with it.
  let server: number | null = null;
  const lifeTimer = setInterval(() => {
    if (!hostAlive()) end("gone");
    else if (server !== null && !isAlive(server)) end("thread ended");
  }, LIFE_CHECK_MS);
  const holdTimer = setTimeout(() => end("hold"), opts.holdMs);
  const deadline = Date.now() + opts.holdMs;
  const cwd = opts.cwd ?? process.cwd();
  let wakes = 0;
  let slot: ReturnType<typeof claimSlot> | null = null;
  try {
    let id = codexIdentity(config, opts.hostPid, opts.thread, cwd);
    const idDeadline = Date.now() + IDENTITY_WAIT_MS;
    while (id === null && endReason === null && Date.now() < idDeadline) {
      await pause(200, ended);
      id = codexIdentity(config, opts.hostPid, opts.thread, cwd);
    }
    if (id === null) {
      if (endReason === null) opts.warn(`ipc hook codex --wake: unknown session: no --as/IPC_NAME with a saved session and no ipc MCP server of Codex process ${opts.hostPid} registered a name; not waiting`);
      return 0;
    }
    // One waiter per session: per Codex process, or per thread's own MCP server under Codex's shared server.
    server = sharedHost(opts.hostPid) ? id.server : null;
    slot = claimSlot(config, server ?? opts.hostPid, () => end("superseded"));
    const agent = new Agent({ ...config, name: id.name }, { spawn: false, persist: false });
    agent.adopt(id.name, id.token);
    const maxWakes = opts.maxWakes ?? DEFAULT_MAX_WAKES;
    let backoff = 250;
    let warnedAway = false;
    try {
      for (let round = 0; round < 1_000_000 && endReason === null; round++) {
        const waitS = Math.max(1, Math.min(MAX_CHECK_WAIT_S, Math.ceil((deadline - Date.now()) / 1000)));
        let peeked: Message[];
        try {
          // A deliverer's wait: what arrives is leased to this waiter (no other reader takes it) until it acks.
          const held = agent.call("check", { wait: waitS, deliver: true, peek: true, limit: HOOK_MESSAGE_LIMIT }, waitS * 1000 + 10_000);
          const r = await Promise.race([held, ended.then(() => null)]);
          if (r === null || endReason !== null) break;
          peeked = r.messages;
          if (warnedAway) opts.warn("ipc hook codex --wake: the broker is back; waiting again");
          warnedAway = false;
        } catch (err) {
          if (!(err instanceof IpcError) || (err.code !== "NO_BROKER" && err.code !== "UNAVAILABLE")) {
            opts.warn(`ipc hook codex --wake: ${err instanceof Error ? err.message : String(err)}; not waiting`);
            break;
          }
          if (!warnedAway) opts.warn(`ipc hook codex --wake: ${err.message}; reconnecting while the session lives`);
          warnedAway = true;
          await pause(backoff, ended);
          backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
          continue;
        }
        if (peeked.length === 0) continue;
        const ids = peeked.map((m) => m.id);
        const giveBack = () => agent.call("ack", { message_ids: ids, delivered: false }).catch(() => undefined);
        const allowed = slot.nextWakeAt(maxWakes);
        if (allowed > Date.now()) {
          await giveBack();
          opts.warn(`ipc hook codex --wake: this session was woken too often in the last ${WAKE_WINDOW_MS / 60_000} minutes (agents waking each other?); the mail waits until ${new Date(allowed).toISOString()} or the next prompt`);
          await pause(allowed - Date.now(), ended);
          continue;
        }
        if (!hostAlive() || (server !== null && !isAlive(server))) {
          await giveBack();
          break; // never queue into a session that has ended
        }
        const more = peeked.length === HOOK_MESSAGE_LIMIT ? await agent.call("whoami", {}).then((w) => Math.max(0, w.unread - peeked.length), () => 0) : 0;
        // While it hands mail to Codex, the session's turn hooks wait (awaitHandOver), so that they do not show it a second time.
        const handing = handOverFile(config, opts.hostPid);
        writePrivate(handing, JSON.stringify({ pid: process.pid, ids }));
        let failed: string | null;
        try {
          const startedAt = new Date();
          const started = performance.now();
          failed = await deliver(opts.thread, hookContext(id.name, peeked, more));
          const took = performance.now() - started;
          // Handed to Codex, which starts the turn with it: delivered (read; the senders hear `delivered`). Else back to unread.
          if (failed === null) await ackDelivered(agent, ids);
          else await giveBack();
          // One line per wake in the waiter's log (the bench reads the stages from it).
          if (failed === null) opts.warn(`${startedAt.toISOString()} ipc hook codex --wake: handed #${ids.join(", #")} to Codex (codex queue ${took.toFixed(0)} ms)`);
        } finally {
          rmSync(handing, { force: true });
        }
        if (failed !== null) {
          opts.warn(`ipc hook codex --wake: ${failed}; the mail stays unread (the next turn shows it); trying again in ${Math.round(backoff / 1000)} s`);
          await pause(backoff, ended);
          backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
          continue;
        }
        backoff = 250;
        wakes++;
        slot.recordWake();
      }
    } finally {
      agent.close();
    }
  } finally {
    clearInterval(lifeTimer);
    clearTimeout(holdTimer);
    slot?.release();
  }
  return wakes;
}

/** Acks `ids` as delivered; a broker older than ack gets them marked read one by one instead. */
async function ackDelivered(agent: Agent, ids: number[]): Promise<void> {
  try {
    await agent.call("ack", { message_ids: ids, delivered: true });
  } catch (err) {
    if (!(err instanceof IpcError && err.code === "BAD_REQUEST")) return;
    for (const id of ids) await agent.call("read", { message_id: id }).catch(() => undefined);
  }
}
