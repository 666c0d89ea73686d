/**
 * `ipc hook claude-code [--always]`: the Claude Code hook. Prints unread mail
 * as hook JSON when auto-check is due, nothing otherwise; always exits 0 so
 * it never gets in the host's way (problems go to stderr).
 */
import { isatty } from "node:tty";
import { defineCommand } from "citty";
import { configFrom } from "../cli/args.ts";
import { claudeCodeHook } from "../hook/claude-code.ts";
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

const claudeCode = defineCommand({
  meta: {
    name: "claude-code",
    description: "For Claude Code hooks (UserPromptSubmit, PostToolUse, SessionStart): show unread mail to the model when auto-check is due",
  },
  args: {
    always: { type: "boolean", description: "check on every run, whether or not auto-check is on" },
    as: { type: "string", description: "act as this name (env IPC_NAME; default: the MCP session of the host, else the last registered name)", valueHint: "name" },
    home: { type: "string", description: "data directory (env IPC_HOME, default ~/.ipc)", valueHint: "dir" },
    host: { type: "string", description: "broker address (env IPC_HOST, default 127.0.0.1)" },
    port: { type: "string", description: "broker TCP port (env IPC_PORT, default 9876)" },
  },
  async run({ args }) {
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
  meta: { name: "hook", description: "Hooks for AI hosts: ipc hook claude-code" },
  subCommands: { "claude-code": claudeCode },
});
