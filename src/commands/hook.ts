/**
 * `ipc hook claude-code [--always]`: the Claude Code hook. Prints unread mail
 * as hook JSON when auto-check is due, nothing otherwise; always exits 0 so
 * it never gets in the host's way (problems go to stderr).
 * `ipc hook claude-code --wake`: the wake waiter (src/hook/wake.ts) of an
 * async + asyncRewake hook: exits 2 with the mail on stderr, else 0.
 * `ipc hook codex|gemini|cursor`: turn hooks (src/hook/turn.ts): mail as
 * context when a turn starts, one more turn with it when a turn ends;
 * Codex's SessionStart also arms the session's wake waiter, `ipc hook codex
 * --wake` (src/hook/codex-wake.ts).
 */
import { writeSync } from "node:fs";
import { isatty } from "node:tty";
import { defineCommand } from "citty";
import { configFrom } from "../cli/args.ts";
import { claudeCodeHook } from "../hook/claude-code.ts";
import { parseHookInput } from "../hook/input.ts";
import { TURN_HOSTS, type TurnHost } from "../hook/turn.ts";
import { DEFAULT_HOLD_S } from "../hook/wake-hold.ts";
import { errOut, out } from "../cli/output.ts";

/** How long to wait for the hook input on stdin (ms); Claude Code writes it at once. */
const STDIN_WAIT_MS = 1_000;
/** The longest a hook run may take before it gives up quietly (ms). */
const HOOK_DEADLINE_MS = 10_000;

/** stdin's text, or "" when stdin is a terminal or nothing arrives in time. */
async function readStdin(): Promise<string> {
  if (isatty(0)) return "";
  return Promise.race([Bun.stdin.text(), Bun.sleep(STDIN_WAIT_MS).then(() => "")]).catch(() => "");
}

const warn = (line: string) => errOut(`${line}\n`);

/** Runs the wake waiter and exits: 2 with the mail on stderr, else 0 (problems on stderr). */
async function runWake(args: Record<string, unknown>): Promise<never> {
  let code = 0;
  try {
    const holdS = args.hold === undefined ? DEFAULT_HOLD_S : Number(args.hold);
    if (!Number.isFinite(holdS) || holdS <= 0) throw new Error(`--hold ${String(args.hold)} is not a number of seconds above 0`);
    const pid = args.pid === undefined ? undefined : Number(args.pid);
    if (pid !== undefined && !(Number.isSafeInteger(pid) && pid > 1)) throw new Error(`--pid ${String(args.pid)} is not a process id`);
    const maxWakes = args["max-wakes"] === undefined ? undefined : Number(args["max-wakes"]);
    if (maxWakes !== undefined && !(Number.isSafeInteger(maxWakes) && maxWakes > 0)) throw new Error(`--max-wakes ${String(args["max-wakes"])} is not a whole number above 0`);
    const config = configFrom(args as Parameters<typeof configFrom>[0]);
    const [input, { wakeWaiter }] = await Promise.all([readStdin(), import("../hook/wake.ts")]);
    const r = await wakeWaiter(config, { input, holdMs: holdS * 1000, warn, ...(pid !== undefined && { sessionPid: pid }), ...(maxWakes !== undefined && { maxWakes }) });
    if (r.exit === 2) {
      writeSync(2, `${r.text}\n`);
      code = 2;
    }
  } catch (err) {
    warn(`ipc hook --wake: ${err instanceof Error ? err.message : String(err)}`);
  }
  process.exit(code);
}

/** The flags every hook takes: who to act as and where the broker is. */
const commonArgs = {
  as: { type: "string", description: "act as this name (env IPC_NAME; default: the MCP session of the host)", valueHint: "name" },
  home: { type: "string", description: "data directory (env IPC_HOME, default ~/.ipc)", valueHint: "dir" },
  host: { type: "string", description: "broker address (env IPC_HOST, default 127.0.0.1)" },
  port: { type: "string", description: "broker TCP port (env IPC_PORT, default 9876)" },
} as const;

const TURN_EVENTS: Record<TurnHost, string> = {
  codex: "Codex hooks (SessionStart, UserPromptSubmit: mail as context; Stop: one more turn with the mail)",
  gemini: "Gemini CLI hooks (SessionStart, BeforeAgent, AfterTool: mail as context; AfterAgent: one more turn with the mail)",
  cursor: "Cursor hooks (stop: the mail as a follow-up message)",
};

/** Codex only: the wake waiter's flags (src/hook/codex-wake.ts). */
const codexWakeArgs = {
  wake: { type: "boolean", description: "the wake waiter of one Codex session (started by the SessionStart hook): hands mail to the idle session with `codex queue`" },
  thread: { type: "string", description: "with --wake: the Codex thread (the hooks' session_id)", valueHint: "id" },
  pid: { type: "string", description: "with --wake: the Codex process; the waiter ends with it", valueHint: "pid" },
  "max-wakes": { type: "string", description: "with --wake: at most this many wakes of the session per 10 minutes (default 30); more mail waits", valueHint: "n" },
  hold: { type: "string", description: `with --wake: the longest wait (seconds, default ${DEFAULT_HOLD_S})`, valueHint: "s" },
} as const;

/** Runs the Codex wake waiter until its session ends; always exits 0 (problems on stderr, its log). */
async function runCodexWake(args: Record<string, unknown>): Promise<never> {
  try {
    const { codexWakeWaiter, isThreadId } = await import("../hook/codex-wake.ts");
    if (!isThreadId(args.thread)) throw new Error(`--thread ${String(args.thread)} is not a Codex thread id`);
    const pid = Number(args.pid);
    if (!(Number.isSafeInteger(pid) && pid > 1)) throw new Error(`--pid ${String(args.pid)} is not a process id`);
    const holdS = args.hold === undefined ? DEFAULT_HOLD_S : Number(args.hold);
    if (!Number.isFinite(holdS) || holdS <= 0) throw new Error(`--hold ${String(args.hold)} is not a number of seconds above 0`);
    const maxWakes = args["max-wakes"] === undefined ? undefined : Number(args["max-wakes"]);
    if (maxWakes !== undefined && !(Number.isSafeInteger(maxWakes) && maxWakes > 0)) throw new Error(`--max-wakes ${String(args["max-wakes"])} is not a whole number above 0`);
    const config = configFrom(args as Parameters<typeof configFrom>[0]);
    await codexWakeWaiter(config, { thread: args.thread, hostPid: pid, holdMs: holdS * 1000, warn, ...(maxWakes !== undefined && { maxWakes }) });
  } catch (err) {
    warn(`ipc hook codex --wake: ${err instanceof Error ? err.message : String(err)}`);
  }
  process.exit(0);
}

/** `ipc hook <host>` of a host with turn hooks; always exits 0. Codex's SessionStart also arms the session's wake waiter. */
function turnCommand(host: TurnHost) {
  return defineCommand({
    meta: { name: host, description: `For ${TURN_EVENTS[host]}` },
    args: host === "codex" ? { ...commonArgs, ...codexWakeArgs } : commonArgs,
    async run({ args }) {
      if (host === "codex" && (args as Record<string, unknown>).wake === true) return runCodexWake(args);
      try {
        const config = configFrom(args);
        const { turnHook } = await import("../hook/turn.ts");
        const deadline = Bun.sleep(HOOK_DEADLINE_MS).then(() => {
          throw new Error(`gave up after ${HOOK_DEADLINE_MS / 1000} s`);
        });
        const input = await readStdin();
        // Codex: mail its wake waiter is handing over right now is not shown twice.
        if (host === "codex") await (await import("../hook/codex-wake.ts")).awaitHandOver(config);
        const json = await Promise.race([turnHook(config, host, { input, warn }), deadline]);
        if (json !== null) out(`${json}\n`);
        if (host === "codex") {
          const parsed = parseHookInput(input);
          if (parsed.ok) (await import("../hook/codex-wake.ts")).armCodexWake(config, parsed.value, warn);
        }
      } catch (err) {
        warn(`ipc hook ${host}: ${err instanceof Error ? err.message : String(err)}`);
      }
      process.exit(0);
    },
  });
}

const claudeCode = defineCommand({
  meta: {
    name: "claude-code",
    description: "For Claude Code hooks (UserPromptSubmit, PostToolUse, SessionStart): show unread mail to the model when auto-check is due; with --wake (SessionStart, Stop; async + asyncRewake): wake the idle session when mail arrives",
  },
  args: {
    always: { type: "boolean", description: "check on every run, whether or not auto-check is on" },
    wake: { type: "boolean", description: "wait in the background for mail and wake the session with it (an async + asyncRewake hook: exit 2 with the mail on stderr)" },
    pid: { type: "string", description: "with --wake: the host session's process (default: the process that ran the hook, past shells and npm wrappers)", valueHint: "pid" },
    "max-wakes": { type: "string", description: "with --wake: at most this many wakes of the session per 10 minutes (default 30); more mail waits", valueHint: "n" },
    hold: { type: "string", description: `with --wake: the longest wait (seconds, default ${DEFAULT_HOLD_S})`, valueHint: "s" },
    as: { type: "string", description: "act as this name (env IPC_NAME; default: the MCP session of the host, else the last registered name)", valueHint: "name" },
    home: { type: "string", description: "data directory (env IPC_HOME, default ~/.ipc)", valueHint: "dir" },
    host: { type: "string", description: "broker address (env IPC_HOST, default 127.0.0.1)" },
    port: { type: "string", description: "broker TCP port (env IPC_PORT, default 9876)" },
  },
  async run({ args }) {
    if (args.wake === true) return runWake(args);
    try {
      const config = configFrom(args);
      const deadline = Bun.sleep(HOOK_DEADLINE_MS).then(() => {
        throw new Error(`gave up after ${HOOK_DEADLINE_MS / 1000} s`);
      });
      const json = await Promise.race([claudeCodeHook(config, { always: args.always === true, readInput: readStdin, warn }), deadline]);
      if (json !== null) out(`${json}\n`);
    } catch (err) {
      warn(`ipc hook: ${err instanceof Error ? err.message : String(err)}`);
    }
  },
});

export default defineCommand({
  meta: { name: "hook", description: `Hooks for AI hosts: ipc hook claude-code|${TURN_HOSTS.join("|")}|opencode` },
  subCommands: {
    "claude-code": claudeCode,
    ...Object.fromEntries(TURN_HOSTS.map((h) => [h, turnCommand(h)])),
    // OpenCode: the wake waiter its ipc plugin runs (src/hook/opencode.ts).
    opencode: () => import("../hook/opencode.ts").then((m) => m.opencodeHookCommand),
  },
});
