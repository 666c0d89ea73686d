#!/usr/bin/env bun
/**
 * `ipc`: argv → citty root command. Subcommands load lazily, so `ipc send`
 * never loads the MCP SDK or the broker. Entry point of `bun build --compile`.
 */
import { type CommandDef, defineCommand, runCommand, showUsage } from "citty";
import { formatError } from "./cli/errors.ts";
import { rejectUnknownOptions } from "./cli/options.ts";
import { flushOutput, out } from "./cli/output.ts";
import { setRootCommand } from "./cli/root.ts";
import { VERSION } from "./version.ts";

type Lazy = () => Promise<CommandDef<any>>;
const load = (p: Promise<{ default: CommandDef<any> }>) => p.then((m) => m.default);

/** Every subcommand, loaded on demand. */
export const SUBCOMMANDS: Record<string, Lazy> = {
  serve: () => load(import("./commands/serve.ts")),
  stop: () => load(import("./commands/stop.ts")),
  status: () => load(import("./commands/status.ts")),
  mcp: () => load(import("./commands/mcp.ts")),
  register: () => load(import("./commands/register.ts")),
  send: () => load(import("./commands/send.ts")),
  broadcast: () => load(import("./commands/broadcast.ts")),
  check: () => load(import("./commands/check.ts")),
  watch: () => load(import("./commands/watch.ts")),
  list: () => load(import("./commands/list.ts")),
  rename: () => load(import("./commands/rename.ts")),
  read: () => load(import("./commands/read.ts")),
  history: () => load(import("./commands/history.ts")),
  search: () => load(import("./commands/search.ts")),
  "share-file": () => load(import("./commands/share-file.ts")),
  "share-command": () => load(import("./commands/share-command.ts")),
  "auto-check": () => load(import("./commands/auto-check.ts")),
  "import-legacy": () => load(import("./commands/import-legacy.ts")),
  hook: () => load(import("./commands/hook.ts")),
  setup: () => load(import("./commands/setup.ts")),
  doctor: () => load(import("./commands/doctor.ts")),
  ui: () => load(import("./commands/ui.ts")),
  completion: () => load(import("./commands/completion.ts")),
};

export const main = defineCommand({
  meta: {
    name: "ipc",
    version: VERSION,
    description: "Messaging between AI agents and people: broker, MCP server and CLI in one binary",
  },
  subCommands: SUBCOMMANDS,
});
setRootCommand(main);

/** Flags every command accepts that take a value, so they may also come before the command. */
const GLOBAL_VALUE_FLAGS = new Set(["--as", "--home", "--host", "--port"]);
const GLOBAL_BOOLEAN_FLAGS = new Set(["--json", "--no-spawn"]);

/** Moves global flags written before the command (`ipc --as fred send …`) after it. */
export function hoistGlobalFlags(argv: string[]): string[] {
  const leading: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const a = argv[i]!;
    const flag = a.split("=")[0]!;
    if (GLOBAL_VALUE_FLAGS.has(flag)) {
      const n = a.includes("=") ? 1 : 2;
      leading.push(...argv.slice(i, i + n));
      i += n;
    } else if (GLOBAL_BOOLEAN_FLAGS.has(a)) {
      leading.push(a);
      i++;
    } else break;
  }
  if (leading.length === 0) return argv;
  if (i >= argv.length) return []; // global flags and no command: show the usage
  return [argv[i]!, ...leading, ...argv.slice(i + 1)];
}

/**
 * Finds the (sub)command named in `argv` (for --help), following nested
 * subcommands like `setup cursor`; also returns its path ("ipc setup cursor").
 */
async function resolve(argv: string[]): Promise<[CommandDef<any>, CommandDef<any> | undefined, string]> {
  let cmd: CommandDef<any> = main;
  let parent: CommandDef<any> | undefined;
  const path = ["ipc"];
  for (const word of argv.filter((a) => !a.startsWith("-"))) {
    const subs = await resolveValue(cmd.subCommands);
    const sub = subs?.[word];
    if (sub === undefined) break;
    parent = cmd;
    cmd = await resolveValue(sub);
    path.push(word);
  }
  return [cmd, parent, path.join(" ")];
}

/** A citty Resolvable: a value, a promise, or a function returning either. */
async function resolveValue<T>(r: T | Promise<T> | (() => T | Promise<T>)): Promise<T> {
  return typeof r === "function" ? await (r as () => T | Promise<T>)() : await r;
}

async function run(rawArgv: string[]): Promise<number> {
  const argv = hoistGlobalFlags(rawArgv);
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
    out(`${VERSION}\n`);
    return 0;
  }
  // Words after `--` belong to a command being run (ipc share-command fred -- df -h), never to ipc.
  const own = argv.includes("--") ? argv.slice(0, argv.indexOf("--")) : argv;
  if (argv.length === 0 || own.includes("--help") || own.includes("-h")) {
    const [cmd, parent] = await resolve(own);
    await showUsage(cmd, parent);
    return 0;
  }
  try {
    const [cmd, , path] = await resolve(own);
    if (cmd !== main) rejectUnknownOptions(path, (await resolveValue(cmd.args)) ?? {}, own, [...GLOBAL_VALUE_FLAGS, ...GLOBAL_BOOLEAN_FLAGS, "--spawn"]);
    await runCommand(main, { rawArgs: argv });
    return 0;
  } catch (err) {
    const { message, exitCode, usage, json } = formatError(err);
    if (own.includes("--json")) {
      // Scripts read stdout: the error in the protocol's shape there, the sentence on stderr.
      out(`${JSON.stringify(json)}\n`);
    } else if (usage) {
      const [cmd, parent] = await resolve(argv);
      await showUsage(cmd, parent);
    }
    process.stderr.write(`${message}\n`);
    return exitCode;
  }
}

if (import.meta.main) {
  const code = await run(process.argv.slice(2));
  // Long-running commands (serve, mcp, watch) return only when they are done; the rest
  // may leave a broker connection open, which must not keep the process alive.
  await flushOutput();
  process.exit(code);
}
