/**
 * `ipc setup <host>`: print the MCP configuration that makes an AI host start
 * `ipc mcp`, or merge it into the host's config file with --write. One
 * subcommand per host of src/setup/hosts.ts.
 */
import { type CommandDef, defineCommand } from "citty";
import { resolve } from "node:path";
import { usageError } from "../cli/errors.ts";
import { palette, out } from "../cli/output.ts";
import { hostDirs, resolveConfig } from "../config.ts";
import { normalizeName } from "../protocol/names.ts";
import { HOOK_SETS, hookCommand } from "../setup/hooks.ts";
import { HOSTS, type Host, type Scope, scopesOf } from "../setup/hosts.ts";
import { mcpLaunch } from "../setup/launch.ts";
import { type SetupRequest, hooksSnippetOf, serverSnippet, writeSetup } from "../setup/setup.ts";
import { selfCommand } from "../client/connect.ts";

interface HostArgs {
  scope?: string;
  dir?: string;
  name?: string;
  write?: boolean;
  hooks?: boolean;
  json?: boolean;
}

/** The parsed flags of one host's setup, as a SetupRequest. */
function request(host: Host, args: HostArgs): SetupRequest {
  let name: string | null = null;
  if (args.name !== undefined) {
    name = normalizeName(args.name);
    if (name === null) throw usageError(`--name "${args.name}" is not a valid name: 1–32 letters, digits, - and _`);
  }
  const scopes = scopesOf(host);
  const scope = (args.scope ?? host.defaultScope) as Scope; // one of `scopes`: citty checks the enum
  if (args.dir !== undefined && scope !== "project") {
    throw usageError(`--dir is the project directory of --scope project${scopes.includes("project") ? "; add --scope project" : `, and ${host.title} has no project scope`}`);
  }
  const self = selfCommand();
  return {
    host,
    scope,
    places: { ...hostDirs(), project: resolve(args.dir ?? ".") },
    launch: mcpLaunch(name, self),
    ...(args.hooks && HOOK_SETS[host.id] !== undefined && { hookCommand: hookCommand(self, name, undefined, HOOK_SETS[host.id]!.subcommand) }),
  };
}

function run(host: Host, args: HostArgs): void {
  const req = request(host, args);
  const json = args.json === true;
  const p = palette(resolveConfig({ json }).color);
  const snippet = serverSnippet(req);
  const hooks = hooksSnippetOf(req);
  if (!args.write) {
    if (json) {
      out(`${JSON.stringify({ host: host.id, scope: req.scope, file: snippet.file, format: snippet.format, snippet: snippet.text, hooks: hooks })}\n`);
      return;
    }
    process.stderr.write(p.dim(`# ${host.title} (${req.scope} scope): add this to ${snippet.file}, or run \`ipc setup ${host.id} --write\`\n`));
    out(snippet.text);
    if (hooks) {
      process.stderr.write(p.dim(`# hooks: merge this into ${hooks.file}\n`));
      out(hooks.text);
    }
    return;
  }
  const written = writeSetup(req);
  const oneFile = hooks !== null && hooks.file === snippet.file; // Gemini CLI keeps both in settings.json
  if (json) {
    out(`${JSON.stringify({ host: host.id, scope: req.scope, written })}\n`);
    return;
  }
  const lines = written.map((w, i) => {
    const what = i === 0 ? `${host.title}: the ipc MCP server${oneFile ? " and hooks" : ""}` : `${host.title}: ipc hooks`;
    if (w.status === "unchanged") return `${p.green("✔")} ${what} already configured in ${w.file}`;
    const backup = w.backup ? p.dim(` (backup: ${w.backup})`) : "";
    return `${p.green("✔")} ${what} added to ${w.file}${w.status === "created" ? " (new file)" : ""}${backup}`;
  });
  if (written.some((w) => w.status !== "unchanged")) lines.push(`Next: ${host.next}.`);
  out(`${lines.join("\n")}\n`);
}

/** What --hooks installs, per host with hooks. */
const HOOKS_HELP: Partial<Record<Host["id"], string>> = {
  "claude-code": "also install the `ipc hook claude-code` hooks into .claude/settings.json: mail as context (UserPromptSubmit, PostToolUse, SessionStart) and the wake waiter that wakes an idle session (SessionStart, Stop)",
  codex: "also install the `ipc hook codex` hooks into ~/.codex/hooks.json: mail as context (SessionStart, UserPromptSubmit), one more turn with mail waiting at the end of a turn (Stop)",
  gemini: "also install the `ipc hook gemini` hooks into settings.json: mail as context (SessionStart, BeforeAgent, AfterTool), one more turn with mail waiting at the end of a turn (AfterAgent)",
  cursor: "also install the `ipc hook cursor` hook into hooks.json: mail waiting at the end of a turn as a follow-up message (stop)",
};

/** The `ipc setup <host>` command of one host. */
function hostCommand(host: Host): CommandDef<any> {
  const scopes = scopesOf(host);
  return defineCommand({
    meta: { name: host.id, description: `Configure ${host.title} (${scopes.map((s) => host.files[s]!({ home: "~", codexHome: "~/.codex", project: "." })).join(" or ")})` },
    args: {
      write: { type: "boolean", description: "merge the entry into the config file (a backup is made first) instead of printing it" },
      scope: {
        type: "enum",
        options: scopes,
        description: scopes.length > 1 ? `project (a file in --dir) or user (every project); default ${host.defaultScope}` : `${scopes[0]} (the only one)`,
      },
      dir: { type: "string", description: "project directory for --scope project (default: the current directory)", valueHint: "dir" },
      name: { type: "string", description: "IPC_NAME for the MCP server: the name it registers as at start", valueHint: "name" },
      ...(HOOK_SETS[host.id] !== undefined && {
        hooks: { type: "boolean", description: HOOKS_HELP[host.id] },
      }),
      json: { type: "boolean", description: "machine-readable JSON output" },
    },
    run: ({ args }) => run(host, args as HostArgs),
  });
}

export default defineCommand({
  meta: { name: "setup", description: `Configure an AI host to start \`ipc mcp\`: ${HOSTS.map((h) => h.id).join(", ")}` },
  subCommands: Object.fromEntries(HOSTS.map((h) => [h.id, hostCommand(h)])),
});
