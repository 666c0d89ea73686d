/**
 * Doctor: each AI host's configuration — found or not, parseable, and when
 * it has an `ipc` server entry (or Claude Code hooks running
 * `ipc hook claude-code`), whether the program it starts exists.
 */
import { existsSync } from "node:fs";
import { isAbsolute } from "node:path";
import { IpcError } from "../../protocol/errors.ts";
import { isIpcHook } from "../../setup/hooks.ts";
import { HOSTS, type Host, type Scope, scopesOf } from "../../setup/hosts.ts";
import { isObject, parseJsonConfig, valueAt } from "../../setup/json-config.ts";
import { claudeSettingsFile, existingEntry } from "../../setup/setup.ts";
import { readText } from "../../setup/write-file.ts";
import type { Check, DoctorContext, Finding } from "../check.ts";

/** The words of a POSIX shell command line (single and double quotes, backslashes; no expansions). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      word = (word ?? "") + line.slice(i + 1, end === -1 ? line.length : end);
      i = end === -1 ? line.length : end;
    } else if (c === '"') {
      let j = i + 1;
      let s = "";
      for (; j < line.length && line[j] !== '"'; j++) s += line[j] === "\\" && j + 1 < line.length ? line[++j] : line[j];
      word = (word ?? "") + s;
      i = j;
    } else if (c === "\\" && i + 1 < line.length) word = (word ?? "") + line[++i];
    else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else word = (word ?? "") + c;
  }
  if (word !== null) words.push(word);
  return words;
}

/** The program files a command line needs: the command, and a script given as first argument. */
function programFiles(command: string, args: unknown[]): string[] {
  const files = [command];
  const first = args[0];
  if (typeof first === "string" && /\.(ts|js|mjs)$/.test(first) && isAbsolute(first)) files.push(first);
  return files;
}

/** Files among `files` that do not exist (bare commands are looked up on PATH). */
function missing(files: string[]): string[] {
  return files.filter((f) => (isAbsolute(f) ? !existsSync(f) : Bun.which(f) === null));
}

function checkEntry(ctx: DoctorContext, host: Host, scope: Scope, file: string, entry: unknown): Finding {
  const check = `host:${host.id}`;
  const fix = `ipc setup ${host.id} --write${scope === host.defaultScope ? "" : ` --scope ${scope}`}`;
  const launch = isObject(entry) && host.commandOf ? host.commandOf(entry) : null; // OpenCode: one command array
  const command = launch ? launch.command : isObject(entry) ? entry.command : undefined;
  const args = launch ? launch.args : isObject(entry) && Array.isArray(entry.args) ? entry.args : [];
  if (typeof command !== "string") return { check, status: "fail", message: `${host.title}: the ipc entry in ${file} has no command`, fix };
  const line = [command, ...args].join(" ");
  const gone = missing(programFiles(command, args));
  if (gone.length > 0) {
    return { check, status: "fail", message: `${host.title}: ${file} starts ${line}, but ${gone.join(" and ")} does not exist`, fix };
  }
  const self = ctx.self.join(" ");
  if (!line.startsWith(self)) {
    return { check, status: "warn", message: `${host.title}: ${file} starts ${line}, another ipc than this one (${self})`, fix };
  }
  return { check, status: "ok", message: `${host.title}: ${file} starts ${line}` };
}

/** Claude Code's hooks in one settings.json that run `ipc hook claude-code`. */
function checkHooks(scope: Scope, ctx: DoctorContext): Finding[] {
  const file = claudeSettingsFile(scope, ctx.places);
  const text = readText(file);
  if (text === null) return [];
  let root: unknown;
  try {
    root = parseJsonConfig(file, text);
  } catch (err) {
    return [{ check: "host:claude-code", status: "fail", message: (err as Error).message.replace(/; fix it by hand.*/, ""), fix: "fix the file by hand" }];
  }
  const hooks = valueAt(root, ["hooks"]);
  const commands = new Set<string>();
  if (isObject(hooks)) {
    for (const groups of Object.values(hooks)) {
      for (const g of Array.isArray(groups) ? groups : []) {
        for (const h of isObject(g) && Array.isArray(g.hooks) ? g.hooks : []) if (isObject(h) && isIpcHook(h.command)) commands.add(h.command);
      }
    }
  }
  return [...commands].map((command): Finding => {
    const words = shellWords(command);
    while (words.length > 0 && /^[A-Za-z_]\w*=/.test(words[0]!)) words.shift(); // IPC_NAME=… prefix
    const gone = missing(programFiles(words[0] ?? "", words.slice(1)));
    return gone.length > 0
      ? { check: "host:claude-code", status: "fail", message: `Claude Code: a hook in ${file} runs ${command}, but ${gone.join(" and ")} does not exist`, fix: `ipc setup claude-code --write --hooks${scope === "project" ? " --scope project" : ""}` }
      : { check: "host:claude-code", status: "ok", message: `Claude Code: hooks in ${file} run ${command}` };
  });
}

/** Every host, every scope whose file exists. */
export const hostsCheck: Check = (ctx) => {
  const out: Finding[] = [];
  for (const host of HOSTS) {
    const found: Finding[] = [];
    for (const scope of scopesOf(host)) {
      const file = host.files[scope]!(ctx.places);
      const text = readText(file);
      if (text === null) continue;
      let entry: unknown;
      try {
        entry = existingEntry(host, file, text);
      } catch (err) {
        if (!(err instanceof IpcError)) throw err;
        found.push({ check: `host:${host.id}`, status: "fail", message: `${host.title}: ${err.message.replace(/; fix it by hand.*/, "")}`, fix: "fix the file by hand (ipc setup refuses to edit it as it is)" });
        continue;
      }
      if (entry === undefined) found.push({ check: `host:${host.id}`, status: "info", message: `${host.title}: ${file} has no ipc server (ipc setup ${host.id} --write adds it)` });
      else found.push(checkEntry(ctx, host, scope, file, entry));
    }
    if (host.id === "claude-code") for (const scope of scopesOf(host)) found.push(...checkHooks(scope, ctx));
    out.push(...(found.length > 0 ? found : [{ check: `host:${host.id}`, status: "info" as const, message: `${host.title}: not configured (ipc setup ${host.id})` }]));
  }
  return out;
};
