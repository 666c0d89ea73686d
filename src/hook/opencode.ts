/**
 * `ipc hook opencode --wake`: the wake waiter of an OpenCode session, run by
 * the ipc plugin inside OpenCode (src/setup/opencode-plugin.ts). It is the
 * Claude Code waiter (src/hook/wake.ts: one per host process, push wait,
 * wake budget, ends with the host) with another way out: when mail arrives
 * it prints the framed text on stdout and exits 2; the plugin then starts a
 * turn with it through OpenCode's own API (session.promptAsync). Otherwise it
 * exits 0, the reason on stderr.
 *
 * With --confirm (the plugin of ipc 0.1 and later) the hand-over is a
 * deliverer's (docs/wake.md#delivery-states): the waiter prints the mail as
 * one JSON line `{"text": …}` and waits for the plugin's answer on stdin,
 * `delivered` once the turn carrying it started (then the mail is read, its
 * senders hear `delivered`, exit 2) or `failed` (it stays unread, exit 0).
 */
import { writeSync } from "node:fs";
import { defineCommand } from "citty";
import { configFrom } from "../cli/args.ts";
import { DEFAULT_HOLD_S } from "./wake-hold.ts";

const warn = (line: string) => writeSync(2, `${line}\n`);

/** Longest wait for the plugin's answer (ms); none counts as `failed`. */
const CONFIRM_WAIT_MS = 10_000;

/** The first line on stdin (without its newline), or null at its end or after `ms`. */
async function firstLine(ms: number): Promise<string | null> {
  const reader = Bun.stdin.stream().getReader();
  const timer = setTimeout(() => void reader.cancel().catch(() => {}), ms);
  let text = "";
  try {
    for (let i = 0; i < 10_000; i++) {
      const { done, value } = await reader.read();
      if (done) return null;
      text += new TextDecoder().decode(value);
      const nl = text.indexOf("\n");
      if (nl !== -1) return text.slice(0, nl);
    }
    return null;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/** --confirm: prints the mail as one JSON line and resolves true when the plugin answers `delivered`. */
async function confirmWithPlugin(text: string): Promise<boolean> {
  writeSync(1, `${JSON.stringify({ text })}\n`);
  return (await firstLine(CONFIRM_WAIT_MS))?.trim() === "delivered";
}

/** Runs the waiter and exits: 2 with the mail on stdout, else 0. */
async function runWake(args: Record<string, unknown>): Promise<never> {
  let code = 0;
  try {
    const holdS = args.hold === undefined ? DEFAULT_HOLD_S : Number(args.hold);
    if (!Number.isFinite(holdS) || holdS <= 0) throw new Error(`--hold ${String(args.hold)} is not a number of seconds above 0`);
    const maxWakes = args["max-wakes"] === undefined ? undefined : Number(args["max-wakes"]);
    if (maxWakes !== undefined && !(Number.isSafeInteger(maxWakes) && maxWakes > 0)) throw new Error(`--max-wakes ${String(args["max-wakes"])} is not a whole number above 0`);
    const config = configFrom(args as Parameters<typeof configFrom>[0]);
    const { wakeWaiter } = await import("./wake.ts");
    const confirm = args.confirm === true;
    const r = await wakeWaiter(config, {
      input: "",
      holdMs: holdS * 1000,
      warn: (l) => warn(l.replace("ipc hook --wake", "ipc hook opencode --wake")),
      ...(maxWakes !== undefined && { maxWakes }),
      ...(confirm && { confirm: confirmWithPlugin }),
    });
    if (r.exit === 2) {
      if (!confirm) writeSync(1, `${r.text}\n`);
      code = 2;
    }
  } catch (err) {
    warn(`ipc hook opencode --wake: ${err instanceof Error ? err.message : String(err)}`);
  }
  process.exit(code);
}

/** `ipc hook opencode`: its only mode is --wake (OpenCode has no hooks that take context; its plugin runs this). */
export const opencodeHookCommand = defineCommand({
  meta: {
    name: "opencode",
    description: "For the ipc plugin of OpenCode (ipc setup opencode --hooks): with --wake, wait for mail and print it (exit 2) so the plugin starts a turn with it",
  },
  args: {
    wake: { type: "boolean", description: "wait for mail to this session's name and print it on stdout (exit 2); exit 0 when superseded, the session ends or the hold is over" },
    confirm: { type: "boolean", description: "with --wake: print the mail as one JSON line and wait for `delivered` or `failed` on stdin; only `delivered` marks it read (exit 2)" },
    hold: { type: "string", description: `the longest wait (seconds, default ${DEFAULT_HOLD_S})`, valueHint: "s" },
    "max-wakes": { type: "string", description: "at most this many wakes of the session per 10 minutes (default 30); more mail waits", valueHint: "n" },
    as: { type: "string", description: "act as this name (env IPC_NAME; default: the MCP session of the host)", valueHint: "name" },
    home: { type: "string", description: "data directory (env IPC_HOME, default ~/.ipc)", valueHint: "dir" },
    host: { type: "string", description: "broker address (env IPC_HOST, default 127.0.0.1)" },
    port: { type: "string", description: "broker TCP port (env IPC_PORT, default 9876)" },
  },
  async run({ args }) {
    if (args.wake === true) return runWake(args);
    warn("ipc hook opencode: only --wake is supported (the ipc plugin runs it); nothing done");
    process.exit(0);
  },
});
