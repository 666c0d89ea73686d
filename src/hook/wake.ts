/**
 * The wake waiter (`ipc hook claude-code --wake`): run by Claude Code as an
 * `async` + `asyncRewake` command hook (SessionStart and Stop), it holds a
 * push wait on the broker for the session's name. When mail arrives it takes
 * it (marking it read), and the caller prints it on stderr and exits 2, which
 * makes Claude Code hand the text to the model and start a turn, even at an
 * idle prompt (Claude Code hooks reference: "asyncRewake … wakes the model on
 * exit code 2"). Otherwise it ends quietly (exit 0): superseded by a newer
 * waiter of the same session, the session's process gone, or the hold over.
 *
 * The wait is a deliverer's (`check {deliver}`, docs/wake.md#delivery-states):
 * what arrives is leased to this waiter, not read, so a waiter that is
 * cancelled, superseded or killed while waiting loses no message (its lease
 * ends with its connection), and no other deliverer — another waiter, ipc mcp
 * writing into Claude Code's inbox — delivers the same message. It acks the
 * mail (read) right before it exits 2 with it.
 */
import { Agent } from "../client/agent.ts";
import { hostSessionPid, processArgs, processStart } from "../client/host-process.ts";
import { hookIdentity } from "../client/parent-session.ts";
import type { Config } from "../config.ts";
import { IpcError } from "../protocol/errors.ts";
import type { Message } from "../protocol/message.ts";
import { HOOK_MESSAGE_LIMIT } from "./claude-code.ts";
import { hookContext } from "./context.ts";
import { parseHookInput } from "./input.ts";
import { WAKE_WINDOW_MS, claimSlot } from "./wake-slot.ts";

/** How long a waiter looks for its session's name at start, while the host's MCP server registers (ms). */
const IDENTITY_WAIT_MS = 20_000;
/** How often the session's process is checked for life (ms). */
const LIFE_CHECK_MS = 2_000;
/** Longest pause between reconnection attempts when no broker answers (ms). */
const MAX_BACKOFF_MS = 5_000;
/** Longest single held check (s): the broker's limit. */
const MAX_CHECK_WAIT_S = 3_600;
/** Default wake budget: agents that keep waking each other are held back past this many wakes per window. */
export const DEFAULT_MAX_WAKES = 30;

export interface WakeOptions {
  /** The hook input (stdin, JSON from the host; "" when there is none). */
  input: string;
  /** Longest hold (ms). */
  holdMs: number;
  /** Where notes for the person go (stderr). */
  warn: (line: string) => void;
  /** The host's process (default hostSessionPid()). */
  sessionPid?: number;
  /** At most this many wakes of the session per WAKE_WINDOW_MS (default DEFAULT_MAX_WAKES); more mail waits. */
  maxWakes?: number;
  /**
   * For a host that starts the turn itself (OpenCode's plugin): hands it the framed text and
   * resolves true once the turn carrying it started. Only then is the mail delivered (read);
   * false leaves it unread and the waiter ends (exit 0). Without it the mail is delivered when
   * the waiter exits 2 with it (Claude Code's asyncRewake shows it to the model).
   */
  confirm?: (text: string) => Promise<boolean>;
}

/** What the caller does: exit 0 quietly, or print `text` on stderr and exit 2. */
export type WakeOutcome = { exit: 0 } | { exit: 2; text: string; ids: number[] };

/** Resolves when `ms` pass or `stop` fires, whichever first. */
function pause(ms: number, stop: Promise<void>): Promise<void> {
  return Promise.race([Bun.sleep(ms), stop]);
}

/**
 * Holds one wake wait for the session of the host process `opts.sessionPid`.
 * Never throws: every problem is reported through `opts.warn` and ends in exit 0.
 */
export async function wakeWaiter(config: Config, opts: WakeOptions): Promise<WakeOutcome> {
  const parsed = parseHookInput(opts.input);
  if (!parsed.ok) {
    opts.warn(`ipc hook --wake: ${parsed.why}; not waiting`);
    return { exit: 0 };
  }
  const hostPid = opts.sessionPid ?? hostSessionPid();
  const hostStart = processStart(hostPid);
  const hostAlive = () => {
    try {
      process.kill(hostPid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
    }
    return hostStart === null || processStart(hostPid) === hostStart;
  };
  if (!hostAlive()) {
    opts.warn(`ipc hook --wake: the session's process ${hostPid} is not running; not waiting`);
    return { exit: 0 };
  }
  // `claude -p` answers once and exits, and waits up to 30 s for background hooks first: nothing to wake there.
  if (processArgs(hostPid).some((w) => w === "-p" || w === "--print")) return { exit: 0 };
  const deadline = Date.now() + opts.holdMs;

  // Ends (quietly) when superseded, when the session's process is gone, or at the deadline.
  let endReason: "superseded" | "gone" | "hold" | null = null;
  let endNow: () => void = () => {};
  const ended = new Promise<void>((resolve) => (endNow = resolve));
  const end = (why: "superseded" | "gone" | "hold") => {
    endReason ??= why;
    endNow();
  };

  const slot = claimSlot(config, hostPid, () => end("superseded"));
  const lifeTimer = setInterval(() => {
    if (!hostAlive()) end("gone");
  }, LIFE_CHECK_MS);
  const holdTimer = setTimeout(() => end("hold"), opts.holdMs);
  try {
    let id = hookIdentity(config);
    const idDeadline = Date.now() + Math.min(IDENTITY_WAIT_MS, opts.holdMs);
    while (id === null && endReason === null && Date.now() < idDeadline) {
      await pause(200, ended);
      id = hookIdentity(config);
    }
    if (id === null && (endReason === null || endReason === "hold")) {
      opts.warn(
        config.name !== null
          ? `ipc hook --wake: ${config.name} has no session in ${config.home} (the host's ipc MCP server registers it); not waiting`
          : "ipc hook --wake: unknown session: no --as/IPC_NAME and no ipc MCP server of this host registered a name; not waiting",
      );
    }
    if (id === null || endReason !== null) return { exit: 0 };
    const agent = new Agent({ ...config, name: id.name }, { spawn: false, persist: false });
    agent.adopt(id.name, id.token);
    try {
      const maxWakes = opts.maxWakes ?? DEFAULT_MAX_WAKES;
      const outcome = await hold(agent, { deadline, ended, isEnded: () => endReason !== null, warn: opts.warn, budget: () => slot.nextWakeAt(maxWakes), ...(opts.confirm !== undefined && { confirm: opts.confirm }) });
      if (outcome.exit === 2) slot.recordWake();
      return outcome;
    } finally {
      agent.close();
    }
  } finally {
    clearInterval(lifeTimer);
    clearTimeout(holdTimer);
    slot.release();
  }
}

interface HoldState {
  deadline: number;
  ended: Promise<void>;
  isEnded: () => boolean;
  warn: (line: string) => void;
  /** When the wake budget allows the next wake (ms since the epoch; now or earlier: at once). */
  budget: () => number;
  /** See WakeOptions.confirm. */
  confirm?: (text: string) => Promise<boolean>;
}

/** Waits (peeking) until mail arrives, then takes it; reconnects while the broker is away. */
async function hold(agent: Agent, s: HoldState): Promise<WakeOutcome> {
  let backoff = 250;
  let warnedAway = false;
  // Each round ends in mail, an empty held check (the hold or the broker's limit), or a lost broker.
  for (let round = 0; round < 100_000 && !s.isEnded(); round++) {
    const waitS = Math.max(1, Math.min(MAX_CHECK_WAIT_S, Math.ceil((s.deadline - Date.now()) / 1000)));
    try {
      // A deliverer's wait: what arrives is leased to this waiter (nobody else takes it) until it acks.
      // (peek too: a broker that predates deliverers then only shows what it holds, as waiters did before.)
      const held = agent.call("check", { wait: waitS, deliver: true, peek: true, limit: HOOK_MESSAGE_LIMIT }, waitS * 1000 + 10_000);
      const leased = await Promise.race([held, s.ended.then(() => null)]);
      if (leased === null) return { exit: 0 };
      if (warnedAway) s.warn("ipc hook --wake: the broker is back; waiting again");
      backoff = 250;
      warnedAway = false;
      const { messages } = leased;
      if (messages.length === 0) continue;
      const ids = messages.map((m) => m.id);
      if (s.isEnded()) {
        await agent.call("ack", { message_ids: ids, delivered: false }).catch(() => {});
        return { exit: 0 };
      }
      const allowed = s.budget();
      if (allowed > Date.now()) {
        await agent.call("ack", { message_ids: ids, delivered: false }).catch(() => {});
        s.warn(`ipc hook --wake: this session was woken too often in the last ${WAKE_WINDOW_MS / 60_000} minutes (agents waking each other?); the mail waits until ${new Date(allowed).toISOString()} or the next prompt`);
        await pause(allowed - Date.now(), s.ended);
        continue;
      }
      if (s.confirm !== undefined) return await handOver(agent, messages, s.confirm, s.warn);
      // Shown to the model when this process exits 2 right after: read from now on, and its senders hear `delivered`.
      const shown = await agent.call("ack", { message_ids: ids, delivered: true }).then(
        () => messages,
        async (err) => {
          // A broker older than ack (it does not know the op): take the mail as waiters did before.
          if (!(err instanceof IpcError && err.code === "BAD_REQUEST")) throw err;
          return (await agent.call("check", { limit: HOOK_MESSAGE_LIMIT })).messages;
        },
      );
      if (shown.length === 0) continue; // another reader took it first
      const more = shown.length === HOOK_MESSAGE_LIMIT ? await agent.call("whoami", {}).then((w) => w.unread, () => 0) : 0;
      return { exit: 2, text: hookContext(agent.name ?? "?", shown, more), ids: shown.map((m) => m.id) };
    } catch (err) {
      if (!(err instanceof IpcError) || (err.code !== "NO_BROKER" && err.code !== "UNAVAILABLE")) {
        s.warn(`ipc hook --wake: ${err instanceof Error ? err.message : String(err)}; not waiting`);
        return { exit: 0 };
      }
      if (!warnedAway) s.warn(`ipc hook --wake: ${err.message}; reconnecting while the session lives`);
      warnedAway = true;
      await pause(backoff, s.ended);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }
  return { exit: 0 };
}

/** Hands leased `messages` to a host that starts the turn itself; acks them delivered only when it did. */
async function handOver(agent: Agent, messages: Message[], confirm: (text: string) => Promise<boolean>, warn: (line: string) => void): Promise<WakeOutcome> {
  const ids = messages.map((m) => m.id);
  const more = messages.length === HOOK_MESSAGE_LIMIT ? await agent.call("whoami", {}).then((w) => Math.max(0, w.unread - messages.length), () => 0) : 0;
  const text = hookContext(agent.name ?? "?", messages, more);
  const started = await confirm(text).catch(() => false);
  if (!started) {
    await agent.call("ack", { message_ids: ids, delivered: false }).catch(() => {});
    warn("ipc hook --wake: the host did not start a turn with the mail; it stays unread");
    return { exit: 0 };
  }
  try {
    await agent.call("ack", { message_ids: ids, delivered: true });
  } catch (err) {
    // A broker older than ack: mark them read one by one.
    if (err instanceof IpcError && err.code === "BAD_REQUEST") for (const id of ids) await agent.call("read", { message_id: id }).catch(() => {});
  }
  return { exit: 2, text, ids };
}
