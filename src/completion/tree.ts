/**
 * The citty command tree as plain data for shell completion: every
 * (sub)command with its flags, walked from the root command (lazy
 * subcommands are loaded here, which only `ipc completion` does).
 */
import type { ArgsDef, CommandDef } from "citty";

/** One flag of a command. */
export interface FlagSpec {
  /** Long form without dashes, e.g. "scope". */
  name: string;
  aliases: string[];
  description: string;
  /** A string or enum flag, which takes a value. */
  takesValue: boolean;
  /** The allowed values of an enum flag. */
  values: string[];
}

/** One command and what follows it. */
export interface CommandSpec {
  name: string;
  description: string;
  flags: FlagSpec[];
  subcommands: CommandSpec[];
}

type Resolvable<T> = T | Promise<T> | (() => T | Promise<T>);

async function value<T>(r: Resolvable<T>): Promise<T> {
  return typeof r === "function" ? await (r as () => T | Promise<T>)() : await r;
}

/** The flags of `args`: booleans with a default of true also get their --no- form (as citty parses them). */
function flagsOf(args: ArgsDef): FlagSpec[] {
  const out: FlagSpec[] = [];
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") continue;
    const alias = "alias" in def ? def.alias : undefined;
    const aliases = alias === undefined ? [] : Array.isArray(alias) ? alias : [alias];
    const description = def.description ?? "";
    if (def.type === "boolean" && def.default === true) {
      const negative = "negativeDescription" in def ? def.negativeDescription : undefined;
      out.push({ name: `no-${name}`, aliases: [], description: negative ?? `not ${description}`, takesValue: false, values: [] });
      continue;
    }
    out.push({ name, aliases, description, takesValue: def.type === "string" || def.type === "enum", values: def.type === "enum" ? (def.options ?? []) : [] });
  }
  return out;
}

/** The tree under `def`, named `name`. */
export async function commandTree(name: string, def: CommandDef<any>): Promise<CommandSpec> {
  const meta = (await value(def.meta ?? {})) ?? {};
  const subs = (await value(def.subCommands ?? {})) ?? {};
  const subcommands: CommandSpec[] = [];
  for (const [sub, r] of Object.entries(subs)) {
    const child = await value(r);
    const childMeta = (await value(child.meta ?? {})) ?? {};
    if (!childMeta.hidden) subcommands.push(await commandTree(sub, child));
  }
  const flags = flagsOf((await value(def.args ?? {})) as ArgsDef);
  flags.push({ name: "help", aliases: ["h"], description: "show help", takesValue: false, values: [] });
  if (meta.version) flags.push({ name: "version", aliases: ["v"], description: "print the version", takesValue: false, values: [] });
  return { name, description: meta.description ?? "", flags, subcommands };
}

/** Every command of the tree with its path ("" for the root, "setup/cursor" for nested ones). */
export function flatten(root: CommandSpec): Array<{ path: string; cmd: CommandSpec }> {
  const out: Array<{ path: string; cmd: CommandSpec }> = [];
  const walk = (cmd: CommandSpec, path: string) => {
    out.push({ path, cmd });
    for (const s of cmd.subcommands) walk(s, path === "" ? s.name : `${path}/${s.name}`);
  };
  walk(root, "");
  return out;
}

/** The long and short spellings of a flag: --name, --alias / -a. */
export function spellings(f: FlagSpec): string[] {
  return [`--${f.name}`, ...f.aliases.map((a) => (a.length === 1 ? `-${a}` : `--${a}`))];
}
