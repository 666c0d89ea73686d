/** `ipc share-command TO [--description TEXT] [--timeout SECONDS] -- CMD ARGS…`: run a command (no shell) and send its output. */
import { defineCommand } from "citty";
import { actingAgent, asWho } from "../cli/agent.ts";
import { brokerArgs, configFrom, identityArgs } from "../cli/args.ts";
import { usageError } from "../cli/errors.ts";
import { emit, palette } from "../cli/output.ts";
import { DEFAULT_COMMAND_TIMEOUT_MS, formatCommandLine, shareCommand } from "../share/share-command.ts";

/** The command after `--`, verbatim; TO may come before or right after `--`. */
export function commandArgv(to: string, positionals: string[], rawArgs: string[]): string[] {
  const dash = rawArgs.indexOf("--");
  if (dash < 0) throw usageError("put the command after --: ipc share-command TO -- CMD ARGS…");
  const after = rawArgs.slice(dash + 1);
  const before = positionals.length - after.length;
  if (before === 0 && after[0] === to) return after.slice(1);
  if (before === 1) return after;
  throw usageError("put only TO before --: ipc share-command TO -- CMD ARGS…");
}

export default defineCommand({
  meta: { name: "share-command", description: "Run a command without a shell (30 s timeout) and send its output: ipc share-command TO -- CMD ARGS…" },
  args: {
    to: { type: "positional", required: true, description: "recipient name" },
    description: { type: "string", description: "a note about the command", valueHint: "text" },
    timeout: { type: "string", description: "kill the command after this many seconds (default 30)", valueHint: "seconds" },
    "allow-sensitive": { type: "boolean", description: "send the output even if it contains a private key block (refused by default)" },
    ...identityArgs,
    ...brokerArgs,
  },
  async run({ args, rawArgs }) {
    const config = configFrom(args);
    const argv = commandArgv(args.to, args._, rawArgs);
    if (argv.length === 0) throw usageError("no command given: ipc share-command TO -- CMD ARGS…");
    const seconds = args.timeout === undefined ? DEFAULT_COMMAND_TIMEOUT_MS / 1000 : Number(args.timeout);
    if (!(seconds > 0 && seconds <= 3600)) throw usageError(`--timeout takes seconds, more than 0 and at most 3600, got "${args.timeout}"`);
    const { agent } = actingAgent(config);
    const r = await shareCommand(agent, {
      to: args.to,
      argv,
      timeoutMs: seconds * 1000,
      allowSensitive: args["allow-sensitive"] === true,
      overridable: true,
      ...(args.description !== undefined && { description: args.description }),
    });
    const p = palette(config.color);
    const outcome = r.timed_out ? p.yellow(`timed out after ${seconds} s`) : r.returncode === null ? p.yellow("killed by a signal") : `exit ${r.returncode}`;
    emit(config, () => `${p.green("✔")} Ran ${formatCommandLine(argv)} (${outcome}); sent the output to ${p.bold(r.to)} as #${r.message_id}${asWho(agent)} (${r.status})`, r);
  },
});
