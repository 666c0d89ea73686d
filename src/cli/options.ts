/**
 * Refuses options a command does not declare. citty would otherwise take
 * `--force` in `ipc send fred run it with --force` as an option and drop it
 * from the message, and accept typos such as `--peak` without a word.
 */
import type { ArgsDef } from "citty";
import { usageError } from "./errors.ts";
import { didYouMean } from "./suggest.ts";

/** The option words `args` accepts: --name (and its kebab-case), --no-name for booleans, aliases. */
export function knownOptions(args: ArgsDef): Set<string> {
  const known = new Set<string>();
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") continue;
    const kebab = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    for (const n of new Set([name, kebab])) {
      known.add(`--${n}`);
      if (def.type === "boolean") known.add(`--no-${n}`);
    }
    const aliases = "alias" in def && def.alias !== undefined ? [def.alias].flat() : [];
    for (const a of aliases) known.add(a.length === 1 ? `-${a}` : `--${a}`);
  }
  return known;
}

/**
 * Throws a usage error (exit 2) for the first word of `argv` (the words before
 * any `--`) that looks like an option the command at `commandPath` (e.g.
 * "ipc send") does not declare in `args`, nor among the `global` options every
 * command accepts. A lone `-` (stdin) is a value.
 */
export function rejectUnknownOptions(commandPath: string, args: ArgsDef, argv: readonly string[], global: Iterable<string> = []): void {
  const known = knownOptions(args);
  for (const option of global) known.add(option);
  for (const word of argv) {
    if (!word.startsWith("-") || word === "-") continue;
    const option = word.split("=")[0]!;
    if (known.has(option)) continue;
    const takesText = Object.values(args).some((d) => d.type === "positional");
    throw usageError(
      `unknown option ${option} for ${commandPath}${didYouMean(option, [...known].filter((k) => k.startsWith("--")))} (see ${commandPath} --help)` +
        (takesText ? `; to pass words that start with "-", put them after --, e.g. ${commandPath} … -- ${word}` : ""),
    );
  }
}
