#!/usr/bin/env bun
/**
 * `ipc`: argv → the root command (src/commands/index.ts). Handles what comes
 * before any command runs: global flags, --version, --help and `ipc help
 * [command]`, usage errors, and the exit code. Entry point of `bun build --compile`.
 */
import { runCommand } from "citty";
import { checkCommandLine, hoistGlobalFlags, resolveCommand, unknownCommand, usageText } from "./cli/command-line.ts";
import { formatError } from "./cli/errors.ts";
import { errOut, flushOutput, out, plain } from "./cli/output.ts";
import { root } from "./commands/index.ts";
import { useColor } from "./config.ts";
import { COMMIT, VERSION } from "./version.ts";

/** Prints the help of the command `words` name (`ipc help setup cursor`); an unknown one is a usage error. */
async function help(words: string[]): Promise<void> {
  const r = await resolveCommand(words);
  if (r.unknown !== undefined) throw unknownCommand(r);
  const text = await usageText(r);
  out(`${useColor() ? text : plain(text)}\n`, true);
}

async function run(rawArgv: string[]): Promise<number> {
  const argv = hoistGlobalFlags(rawArgv);
  // `ipc --version`, `ipc version`, with `--json` anywhere: {"version","commit"} for scripts.
  const words = rawArgv.filter((a) => a !== "--json");
  if (words.length === 1 && (words[0] === "--version" || words[0] === "-v" || words[0] === "version")) {
    out(rawArgv.includes("--json") ? `${JSON.stringify({ version: VERSION, commit: COMMIT })}\n` : `${VERSION} (${COMMIT})\n`);
    return 0;
  }
  // Words after `--` belong to a command being run (ipc share-command fred -- df -h), never to ipc.
  const own = argv.includes("--") ? argv.slice(0, argv.indexOf("--")) : argv;
  try {
    if (argv[0] === "help") {
      await help(own.slice(1).filter((a) => !a.startsWith("-")));
      return 0;
    }
    if (argv.length === 0 || own.includes("--help") || own.includes("-h")) {
      await help(own.filter((a) => a !== "--help" && a !== "-h"));
      return 0;
    }
    await checkCommandLine(argv);
    await runCommand(root, { rawArgs: argv });
    return 0;
  } catch (err) {
    const { message, exitCode, usage, json } = formatError(err);
    if (own.includes("--json")) {
      // Scripts read stdout: the error in the protocol's shape there, the sentence on stderr.
      out(`${JSON.stringify(json)}\n`);
    } else if (usage) {
      const r = await resolveCommand(own);
      const text = await usageText(r);
      process.stderr.write(`${useColor(process.env, process.stderr.isTTY) ? text : plain(text)}\n`);
    }
    errOut(`${message}\n`);
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
