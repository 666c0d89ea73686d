/**
 * Doctor: OpenCode's ipc wake plugin (src/setup/opencode-plugin.ts). Where it
 * is installed, the waiter command it runs must exist; where OpenCode has an
 * ipc entry but no plugin, idle sessions are not woken, which is worth a note.
 */
import { existsSync } from "node:fs";
import { isAbsolute } from "node:path";
import { hostById } from "../../setup/hosts.ts";
import { opencodePluginFile } from "../../setup/opencode-plugin.ts";
import { existingEntry } from "../../setup/setup.ts";
import { readText } from "../../setup/write-file.ts";
import type { Check, Finding } from "../check.ts";

/** The waiter command line a plugin file runs (its `const WAITER = [...]`), or null when it cannot be read. */
export function pluginWaiter(text: string): string[] | null {
  const m = /^const WAITER = (\[.*\]);$/m.exec(text);
  if (m === null) return null;
  try {
    const v = JSON.parse(m[1]!) as unknown;
    return Array.isArray(v) && v.every((w) => typeof w === "string") ? (v as string[]) : null;
  } catch {
    return null;
  }
}

export const opencodeCheck: Check = (ctx) => {
  const host = hostById("opencode")!;
  const out: Finding[] = [];
  for (const scope of ["user", "project"] as const) {
    const config = host.files[scope]!(ctx.places);
    const text = readText(config);
    let entry: unknown;
    try {
      entry = text === null ? undefined : existingEntry(host, config, text);
    } catch {
      entry = undefined; // the hosts check reports a malformed file
    }
    const file = opencodePluginFile(scope, ctx.places);
    const plugin = readText(file);
    const fix = `ipc setup opencode --write --hooks${scope === "project" ? " --scope project" : ""}`;
    if (plugin === null) {
      if (entry !== undefined) out.push({ check: "host:opencode", status: "info", message: `OpenCode: no ipc wake plugin in ${file}, so idle sessions are not woken by mail (${fix} adds it)` });
      continue;
    }
    const argv = pluginWaiter(plugin);
    if (argv === null) {
      out.push({ check: "host:opencode", status: "fail", message: `OpenCode: ${file} is not the plugin ipc writes (no WAITER line)`, fix });
      continue;
    }
    const program = argv[0]!;
    const gone = isAbsolute(program) ? !existsSync(program) : Bun.which(program) === null;
    out.push(
      gone
        ? { check: "host:opencode", status: "fail", message: `OpenCode: the wake plugin ${file} runs ${program}, which does not exist`, fix }
        : { check: "host:opencode", status: "ok", message: `OpenCode: the wake plugin ${file} runs ${argv.join(" ")}` },
    );
  }
  return out;
};
