/**
 * Reading a command line against the command tree before anything runs:
 * which (sub)command it names, its help text, and the usage errors citty
 * would give less helpfully ("did you mean check?" for `ipc chek`, unknown
 * options, missing arguments).
 */
import { type ArgsDef, type CommandDef, parseArgs, renderUsage } from "citty";
import { root } from "../commands/index.ts";
import { usageError } from "./errors.ts";
import { rejectUnknownOptions } from "./options.ts";
import { didYouMean } from "./suggest.ts";

/** Flags every command accepts that take a value, so they may also come before the command. */
export const GLOBAL_VALUE_FLAGS = new Set(["--as", "--home", "--host", "--port"]);
export const GLOBAL_BOOLEAN_FLAGS = new Set(["--json", "--no-spawn"]);

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

/** A citty Resolvable: a value, a promise, or a function returning either. */
export async function resolveValue<T>(r: T | Promise<T> | (() => T | Promise<T>)): Promise<T> {
  return typeof r === "function" ? await (r as () => T | Promise<T>)() : await r;
}

/** The command a command line names. */
export interface Resolved {
  cmd: CommandDef<any>;
  /** Its words from the root, e.g. ["ipc", "setup", "cursor"]. */
  path: string[];
  /** The first word that should have named a subcommand but names none (`chek` in `ipc chek`). */
  unknown?: string;
  /** The subcommand names that were possible there. */
  choices: string[];
}

/** Follows the subcommand words of `argv` (the words before any `--`) from the root. */
export async function resolveCommand(argv: readonly string[]): Promise<Resolved> {
  let cmd = root;
  const path = ["ipc"];
  for (const word of argv.filter((a) => !a.startsWith("-"))) {
    const subs = cmd.subCommands === undefined ? undefined : await resolveValue(cmd.subCommands);
    if (subs === undefined) break;
    const sub = subs[word];
    if (sub === undefined) return { cmd, path, unknown: word, choices: Object.keys(subs) };
    cmd = await resolveValue(sub);
    path.push(word);
  }
  return { cmd, path, choices: [] };
}

/** The help text of a resolved command, with its full path in USAGE (`ipc setup cursor`, not `setup cursor`). */
export async function usageText({ cmd, path }: Pick<Resolved, "cmd" | "path">): Promise<string> {
  const parent = path.length > 1 ? { meta: { name: path.slice(0, -1).join(" ") } } : undefined;
  return alignColumns(await renderUsage(cmd, parent as CommandDef<any> | undefined));
}

/** Visible width of `text` (colour sequences take none). */
const visible = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, "").length;

/**
 * Lays out citty's two-column blocks (arguments, options, commands) again:
 * citty right-aligns the first column and pads by string length, colour
 * sequences included, so columns came out ragged and lines ended in blanks.
 * Here the first column is left-aligned at two spaces, the second starts at
 * one column per block, and no line ends in blanks.
 */
export function alignColumns(text: string): string {
  const row = /^ +(\S+(?: \S+)*?) {2,}(\S.*?)\s*$/;
  const lines = text.split("\n").map((l) => l.replace(/\s+$/, ""));
  for (let i = 0; i < lines.length; ) {
    let end = i;
    while (end < lines.length && row.test(lines[end]!)) end++;
    if (end === i) {
      i++;
      continue;
    }
    const rows = lines.slice(i, end).map((l) => row.exec(l)!);
    const width = Math.max(...rows.map((m) => visible(m[1]!)));
    rows.forEach((m, k) => (lines[i + k] = `  ${m[1]}${" ".repeat(width - visible(m[1]!))}  ${m[2]}`));
    i = end;
  }
  return lines.join("\n");
}

/** The usage error for a word that names no command. */
export function unknownCommand(r: Resolved): Error {
  const where = r.path.join(" ");
  return usageError(`unknown command ${r.path.length > 1 ? `${where} ` : ""}${r.unknown}${didYouMean(r.unknown!, r.choices)} (see ${where} --help)`);
}

/**
 * Checks `rawArgv` (what follows `ipc`) against the tree without running
 * anything: the command exists, every option is one it declares, and its
 * required arguments are there.
 * @throws IpcError (exit code 2) saying what to type instead.
 */
export async function checkCommandLine(rawArgv: string[]): Promise<Resolved> {
  const argv = hoistGlobalFlags(rawArgv);
  const own = argv.includes("--") ? argv.slice(0, argv.indexOf("--")) : argv;
  const r = await resolveCommand(own);
  if (r.unknown !== undefined) throw unknownCommand(r);
  if (r.cmd === root) {
    rejectUnknownOptions("ipc", {}, own, [...GLOBAL_VALUE_FLAGS, ...GLOBAL_BOOLEAN_FLAGS, "--spawn", "--help", "-h", "--version", "-v"]);
    throw usageError("no command given: ipc <command> … (see ipc --help)");
  }
  const args: ArgsDef = (await resolveValue(r.cmd.args)) ?? {};
  rejectUnknownOptions(r.path.join(" "), args, own, [...GLOBAL_VALUE_FLAGS, ...GLOBAL_BOOLEAN_FLAGS, "--spawn"]);
  if (r.cmd.subCommands !== undefined && r.cmd.run === undefined) {
    throw usageError(`${r.path.join(" ")} needs a subcommand: ${Object.keys(await resolveValue(r.cmd.subCommands)).join(", ")}`);
  }
  const rest = [...argv];
  for (const word of r.path.slice(1)) rest.splice(rest.indexOf(word), 1);
  parseArgs(rest, args); // citty's CLIError for a missing argument: the CLI shows the usage with it
  return r;
}
