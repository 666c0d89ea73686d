/**
 * Doctor: host entries whose names collide (docs/identity.md). An entry at
 * user scope serves every session of its host, so a fixed name there (IPC_NAME,
 * `--as`) is one name for several live sessions: the second gets NAME_TAKEN.
 * Claude Code hooks with `--as` must name what the MCP entry of the same scope
 * registers, or the hooks read another inbox than the model's.
 */
import { IpcError } from "../../protocol/errors.ts";
import { normalizeName } from "../../protocol/names.ts";
import { isIpcHook } from "../../setup/hooks.ts";
import { HOSTS, type Host, type Scope, scopesOf } from "../../setup/hosts.ts";
import { isObject, parseJsonConfig, valueAt } from "../../setup/json-config.ts";
import { claudeSettingsFile, existingEntry } from "../../setup/setup.ts";
import { readText } from "../../setup/write-file.ts";
import type { Check, DoctorContext, Finding } from "../check.ts";
import { shellWords } from "./hosts.ts";

/** The fixed name an MCP entry registers (env IPC_NAME or `--as NAME` in its args), or null for none (a seat, or register by hand). */
export function entryName(entry: unknown): string | null {
  if (!isObject(entry)) return null;
  // OpenCode keeps the command and its arguments in one array, and the environment under "environment".
  const args = Array.isArray(entry.args) ? entry.args.map(String) : Array.isArray(entry.command) ? entry.command.slice(1).map(String) : [];
  const vars = isObject(entry.env) ? entry.env : isObject(entry.environment) ? entry.environment : {};
  const at = args.findIndex((a) => a === "--as" || a.startsWith("--as="));
  const flag = at === -1 ? undefined : args[at]!.includes("=") ? args[at]!.slice(5) : args[at + 1];
  const env = typeof vars.IPC_NAME === "string" ? vars.IPC_NAME : undefined;
  const name = flag ?? env;
  return name === undefined || name === "" ? null : (normalizeName(name) ?? name);
}

/** The `--as` name of a hook command line, or null. */
export function hookName(command: string): string | null {
  const words = shellWords(command);
  const at = words.indexOf("--as");
  const env = words.find((w) => w.startsWith("IPC_NAME="))?.slice(9);
  const name = at === -1 ? env : words[at + 1];
  return name === undefined || name === "" ? null : (normalizeName(name) ?? name);
}

/** The ipc hook commands of one Claude Code settings.json (none when absent or unreadable: the hosts check reports that). */
function hookCommands(file: string): string[] {
  const text = readText(file);
  if (text === null) return [];
  try {
    const hooks = valueAt(parseJsonConfig(file, text), ["hooks"]);
    const found = new Set<string>();
    for (const groups of isObject(hooks) ? Object.values(hooks) : []) {
      for (const g of Array.isArray(groups) ? groups : []) {
        for (const h of isObject(g) && Array.isArray(g.hooks) ? g.hooks : []) if (isObject(h) && isIpcHook(h.command)) found.add(h.command);
      }
    }
    return [...found];
  } catch {
    return [];
  }
}

/** The ipc entry of `host` at `scope`, or undefined (absent, unreadable). */
function entryAt(host: Host, scope: Scope, ctx: DoctorContext): { file: string; entry: unknown } | undefined {
  const file = host.files[scope]?.(ctx.places);
  const text = file === undefined ? null : readText(file);
  if (file === undefined || text === null) return undefined;
  try {
    const entry = existingEntry(host, file, text);
    return entry === undefined ? undefined : { file, entry };
  } catch (err) {
    if (err instanceof IpcError) return undefined;
    throw err;
  }
}

export const namesCheck: Check = (ctx) => {
  const out: Finding[] = [];
  const fixed = new Map<string, string[]>(); // name → where it is fixed
  for (const host of HOSTS) {
    for (const scope of scopesOf(host)) {
      const found = entryAt(host, scope, ctx);
      const name = found === undefined ? null : entryName(found.entry);
      if (found === undefined || name === null) continue;
      fixed.set(name, [...(fixed.get(name) ?? []), `${host.title} (${found.file})`]);
      if (scope === "user") {
        out.push({
          check: "names",
          status: "warn",
          message: `${host.title}: ${found.file} gives every session the fixed name ${name}: a second live session gets NAME_TAKEN`,
          fix: `ipc setup ${host.id} --write (each session then registers ${host.seat}-<project>), or a name per project: ipc setup ${host.id} --write --scope project --name NAME`,
        });
      }
    }
    if (host.id !== "claude-code") continue;
    for (const scope of scopesOf(host)) {
      const mcp = entryAt(host, scope, ctx);
      const registers = mcp === undefined ? null : entryName(mcp.entry);
      for (const command of hookCommands(claudeSettingsFile(scope, ctx.places))) {
        const acts = hookName(command);
        if (acts === null || acts === registers) continue;
        out.push({
          check: "names",
          status: "warn",
          message: `Claude Code: hooks in ${claudeSettingsFile(scope, ctx.places)} act as ${acts}, but the MCP server ${registers === null ? "does not register that name" : `registers ${registers}`}: the hooks read another inbox than the model's`,
          fix: `ipc setup claude-code --write --hooks${scope === "project" ? ` --scope project${registers === null ? "" : ` --name ${registers}`}` : ""}`,
        });
      }
    }
  }
  for (const [name, places] of fixed) {
    if (places.length < 2) continue;
    out.push({ check: "names", status: "warn", message: `${places.join(" and ")} all register ${name}: only one of them can hold it at a time`, fix: "give each host its own name (--name), or none (a seat name)" });
  }
  return out;
};
