/**
 * The files a shell command line writes, for the edit guard of shell tools
 * (Claude Code's `Bash`, Gemini CLI's `run_shell_command`; docs/coordination.md).
 * Parsed with shell-quote; covers redirections (`>`, `>>`, `>|`, `&>`), `tee`,
 * `sed -i`/`perl -i`, `cp`, `mv`, `install`, `ln`, `rm`, `unlink`, `shred`,
 * `truncate`, `touch`, `dd of=`, each after `sudo`/`env`/assignments and
 * following `cd DIR` within the line. Globs are expanded against the folder
 * (bounded). Not covered (said in docs/coordination.md): variables and
 * command substitutions in paths, `sh -c '…'`, interpreters writing files
 * (python, node), `git checkout`/`patch`, and programs' own output options.
 */
import { parse } from "shell-quote";
import { basename, isAbsolute, join, resolve } from "node:path";
import { boundedGlob } from "./walk.ts";

/** Operators that end a simple command. */
const SEPARATORS = new Set([";", "&&", "||", "|", "|&", "&", "(", ")", ";;"]);
/** Redirection operators whose next word is a file written. */
const WRITE_REDIRECTS = new Set([">", ">>", ">|", "&>", "&>>"]);
/** Words before the program that do not change what it writes. */
const PREFIXES = new Set(["sudo", "env", "command", "nice", "nohup", "time", "exec", "builtin", "doas", "stdbuf", "timeout"]);
/** Options of those prefixes that take a value (sudo -u USER, nice -n N, env -u NAME, timeout -s SIG …). */
const PREFIX_VALUE_OPTS: Record<string, Set<string>> = {
  sudo: new Set(["-u", "-g", "-C", "-h", "-p", "-D", "-U", "-r", "-t", "--user", "--group", "--host", "--prompt", "--chdir"]),
  doas: new Set(["-u", "-C"]),
  env: new Set(["-u", "-C", "-S", "--unset", "--chdir", "--split-string"]),
  nice: new Set(["-n", "--adjustment"]),
  timeout: new Set(["-s", "-k", "--signal", "--kill-after"]),
  stdbuf: new Set(["-i", "-o", "-e"]),
};
/** Per program: options that take a value (so the value is not a file). */
const VALUE_OPTS: Record<string, Set<string>> = {
  sed: new Set(["-e", "-f", "--expression", "--file", "-l", "--line-length"]),
  perl: new Set(["-e", "-E", "-M", "-I"]),
  truncate: new Set(["-s", "--size", "-r", "--reference", "-o"]),
  cp: new Set(["-t", "--target-directory", "-S", "--suffix"]),
  mv: new Set(["-t", "--target-directory", "-S", "--suffix"]),
  install: new Set(["-t", "--target-directory", "-m", "--mode", "-o", "--owner", "-g", "--group", "-S", "--suffix"]),
  ln: new Set(["-t", "--target-directory", "-S", "--suffix"]),
  shred: new Set(["-n", "--iterations", "-s", "--size", "--random-source"]),
  touch: new Set(["-d", "--date", "-r", "--reference", "-t"]),
  timeout: new Set(["-s", "--signal", "-k", "--kill-after"]),
};
/** Most directory entries a glob in a command is expanded over. */
const MAX_GLOB = 5_000;
/** Most globs of one command line expanded (the rest are checked as written). */
const MAX_GLOBS = 8;
/** Longest command line parsed (characters); a longer one is cut there. */
const MAX_LINE = 100_000;

type Token = string | { op: string; pattern?: string } | { comment: string };

/** Globs expanded so far by the current shellWrites call (bounded by MAX_GLOBS). */
let globsExpanded = 0;

/** `word` (a path as typed, or a glob) as absolute paths in `cwd`; `home` expands `~`. */
function expand(word: string, cwd: string, home: string, glob: boolean): string[] {
  const typed = word === "~" ? home : word.startsWith("~/") ? join(home, word.slice(2)) : word;
  if (!glob || ++globsExpanded > MAX_GLOBS) return [resolve(cwd, typed)];
  const base = isAbsolute(typed) ? "/" : cwd;
  const pattern = isAbsolute(typed) ? typed.slice(1) : typed;
  const out = boundedGlob(base, pattern, MAX_GLOB).map((f) => resolve(base, f));
  return out.length === 0 ? [resolve(cwd, typed)] : out;
}

/** Operands of `args` for `program`: words that are not options or option values (after `--`, all are). */
function operands(program: string, args: readonly string[]): { ops: string[]; opts: string[]; values: Map<string, string> } {
  const takes = VALUE_OPTS[program] ?? new Set<string>();
  const ops: string[] = [];
  const opts: string[] = [];
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") {
      ops.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith("-") && a !== "-") {
      const eq = a.indexOf("=");
      const name = eq > 0 ? a.slice(0, eq) : a;
      opts.push(name);
      if (eq > 0) values.set(name, a.slice(eq + 1));
      else if (takes.has(a) && i + 1 < args.length) values.set(a, args[++i]!);
      continue;
    }
    ops.push(a);
  }
  return { ops, opts, values };
}

/** The operands `program` (with `args`) writes, as typed. */
function writtenBy(program: string, args: readonly string[]): string[] {
  const { ops, opts, values } = operands(program, args);
  const target = values.get("-t") ?? values.get("--target-directory");
  switch (program) {
    case "tee":
    case "rm":
    case "unlink":
    case "shred":
    case "truncate":
    case "touch":
      return ops;
    case "sed":
    case "perl": {
      if (!opts.some((o) => o.startsWith("-i") || o === "--in-place" || /^-[a-hj-z]*i/.test(o))) return [];
      const script = values.has("-e") || values.has("-f") || values.has("--expression") || values.has("-E");
      return script ? ops : ops.slice(1);
    }
    case "dd":
      return args.flatMap((a) => (a.startsWith("of=") ? [a.slice(3)] : []));
    case "cp":
    case "install":
    case "ln": {
      if (target !== undefined) return [target, ...ops.map((s) => join(target, basename(s)))];
      if (ops.length < 2) return program === "ln" ? ops.map((s) => basename(s)) : [];
      const dest = ops.at(-1)!;
      return [dest, ...ops.slice(0, -1).map((s) => join(dest, basename(s)))];
    }
    case "mv": {
      const dest = target ?? ops.at(-1);
      if (dest === undefined) return [];
      const sources = target !== undefined ? ops : ops.slice(0, -1);
      return [...sources, dest, ...sources.map((s) => join(dest, basename(s)))];
    }
    default:
      return [];
  }
}

/**
 * The absolute paths the shell command line `command`, run in `cwd`, writes,
 * moves or removes by the forms this file covers; `home` expands `~`. Never throws.
 */
export function shellWrites(command: string, cwd: string, home: string): string[] {
  let tokens: Token[];
  try {
    tokens = parse(command.slice(0, MAX_LINE), (key) => `$${key}`) as Token[];
  } catch {
    return [];
  }
  const files: string[] = [];
  globsExpanded = 0;
  let dir = cwd;
  let words: Array<{ w: string; glob: boolean }> = [];
  const endCommand = () => {
    let i = 0;
    while (i < words.length && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!.w) || PREFIXES.has(basename(words[i]!.w)))) {
      const p = basename(words[i]!.w);
      i++;
      if (!PREFIXES.has(p)) continue;
      // The prefix's own options (and their values), and timeout's duration.
      const takes = PREFIX_VALUE_OPTS[p];
      while (i < words.length && words[i]!.w.startsWith("-")) if (takes?.has(words[i++]!.w) === true && i < words.length) i++;
      if (p === "timeout" && i < words.length && /^\d/.test(words[i]!.w)) i++;
    }
    const program = i < words.length ? basename(words[i]!.w) : "";
    const args = words.slice(i + 1);
    if (program === "cd") {
      const to = args[0]?.w;
      dir = to === undefined || to === "-" ? dir : expand(to, dir, home, false)[0]!;
    } else {
      const plain = args.map((a) => a.w);
      for (const w of writtenBy(program, plain)) {
        const glob = args.find((a) => a.w === w)?.glob === true;
        files.push(...expand(w, dir, home, glob));
      }
    }
    words = [];
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (typeof t === "string") words.push({ w: t, glob: false });
    else if ("comment" in t) continue;
    else if (t.op === "glob") words.push({ w: t.pattern ?? "", glob: true });
    else if (WRITE_REDIRECTS.has(t.op)) {
      // `2> f`: the fd number before the operator is not an argument.
      if (words.length > 0 && /^\d+$/.test(words.at(-1)!.w)) words.pop();
      const next = tokens[i + 1];
      if (typeof next === "string") {
        files.push(...expand(next, dir, home, false));
        i++;
      } else if (next !== undefined && "op" in next && next.op === "glob") {
        files.push(...expand(next.pattern ?? "", dir, home, true));
        i++;
      }
    } else if (t.op === ">&") {
      if (words.length > 0 && /^\d+$/.test(words.at(-1)!.w)) words.pop();
      const next = tokens[i + 1];
      if (typeof next === "string") {
        if (!/^\d+-?$|^-$/.test(next)) files.push(...expand(next, dir, home, false));
        i++;
      }
    } else if (t.op === "<" || t.op === "<<" || t.op === "<<<" || t.op === "<&") {
      i++; // its word is read, not written
    } else if (SEPARATORS.has(t.op)) endCommand();
  }
  endCommand();
  return [...new Set(files)];
}
