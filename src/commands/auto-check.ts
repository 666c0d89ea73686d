/** `ipc auto-check start [MINUTES] | stop | status`: fetch new mail on its own every N minutes (read by `ipc hook claude-code`). */
import { defineCommand } from "citty";
import { type CommonArgValues, configFrom } from "../cli/args.ts";
import { usageError } from "../cli/errors.ts";
import { emit, palette } from "../cli/output.ts";
import { type AutoCheckStatus, DEFAULT_MINUTES, autoCheckStatus, startAutoCheck, stopAutoCheck } from "../auto-check/state.ts";
import { resolveIdentity } from "../client/parent-session.ts";
import type { Config } from "../config.ts";

const sharedArgs = {
  as: { type: "string", description: "for this name (env IPC_NAME; default: the MCP session of the host, else the last registered name)", valueHint: "name" },
  home: { type: "string", description: "data directory (env IPC_HOME, default ~/.ipc)", valueHint: "dir" },
  json: { type: "boolean", description: "machine-readable JSON output" },
} as const;

/** The name auto-check applies to. */
function nameFor(config: Config): string {
  const id = resolveIdentity(config);
  if (id === null) throw usageError("no name to act as: run `ipc register NAME` first, or pass --as NAME / set IPC_NAME");
  return id.name;
}

function show(config: Config, s: AutoCheckStatus): void {
  const p = palette(config.color);
  const when = (t: string | null) => (t === null ? "never" : t.replace("T", " ").replace(/\.\d+Z$/, "Z"));
  emit(
    config,
    () =>
      s.enabled
        ? `${p.green("●")} Auto-check is on for ${p.bold(s.name)}: every ${s.interval_minutes} min (last ${when(s.last_check)}, next ${when(s.next_check)})`
        : `${p.dim("○")} Auto-check is off for ${p.bold(s.name)}`,
    s,
  );
}

/** One subcommand: resolve the config and name, act, show the status. */
function run(args: CommonArgValues, act: (config: Config, name: string) => AutoCheckStatus): void {
  const config = configFrom(args);
  show(config, act(config, nameFor(config)));
}

const start = defineCommand({
  meta: { name: "start", description: `Check for new mail every MINUTES minutes (1–60, default ${DEFAULT_MINUTES}); the first check is due at once` },
  args: {
    minutes: { type: "positional", required: false, description: `minutes between checks (1–60, default ${DEFAULT_MINUTES})` },
    ...sharedArgs,
  },
  run({ args }) {
    const text = args.minutes;
    const minutes = text === undefined ? DEFAULT_MINUTES : /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (Number.isNaN(minutes)) throw usageError(`MINUTES must be a whole number from 1 to 60, got "${text}"`);
    run(args, (config, name) => startAutoCheck(config, name, minutes));
  },
});

const stop = defineCommand({
  meta: { name: "stop", description: "Stop checking for mail automatically" },
  args: sharedArgs,
  run: ({ args }) => run(args, stopAutoCheck),
});

const status = defineCommand({
  meta: { name: "status", description: "Show whether auto-check is on, its interval, and the last and next check" },
  args: sharedArgs,
  run: ({ args }) => run(args, autoCheckStatus),
});

export default defineCommand({
  meta: { name: "auto-check", description: "Fetch new mail automatically (through `ipc hook claude-code`): start [MINUTES] | stop | status" },
  subCommands: { start, stop, status },
});
