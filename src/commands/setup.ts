/**
 * `ipc setup <host>`: print the MCP configuration that makes an AI host start
 * `ipc mcp`, or merge it into the host's config file with --write. One
 * subcommand per host of src/setup/hosts.ts.
 */
import { type CommandDef, defineCommand } from "citty";
import { resolve } from "node:path";
import { usageError } from "../cli/errors.ts";
import { errOut, palette, out } from "../cli/output.ts";
import { hostDirs, resolveConfig } from "../config.ts";
import { normalizeName } from "../protocol/names.ts";
import { CODEX_TRUST_HOW } from "../setup/codex-trust.ts";
import { HOOK_SETS, hookCommand } from "../setup/hooks.ts";
import { HOSTS, type Host, type Scope, scopesOf } from "../setup/hosts.ts";
import { mcpLaunch } from "../setup/launch.ts";
import { type SetupRequest, hooksSnippetOf, serverSnippet, writeSetup } from "../setup/setup.ts";
import { selfCommand } from "../client/connect.ts";
import { geminiTrustStep } from "../setup/gemini-setup.ts";
import { brokerEnv } from "../setup/launch.ts";
import { opencodePluginStep } from "../setup/opencode-plugin.ts";

interface HostArgs {
  scope?: string;
  dir?: string;
  name?: string;
  write?: boolean;
  hooks?: boolean;
  json?: boolean;
  /** Gemini CLI only: trust the folder (--dir, else the current one) in its trustedFolders.json. */
  trust?: boolean;
}

/**
 * The parsed flags of one host's setup, as a SetupRequest. Entries cannot
 * collide (docs/identity.md): at user scope every session of the host shares
 * the entry, so it carries a seat template (IPC_SEAT: `--name`, else the
 * host's own, e.g. "claude"), and each session registers `<seat>-<project>`;
 * at project scope `--name` is the name (IPC_NAME), else the seat template too.
 * The hooks carry `--as` only with a fixed name: otherwise they act as the
 * name the host's MCP server registered.
 */
function request(host: Host, args: HostArgs): SetupRequest {
  let name: string | null = null;
  if (args.name !== undefined) {
    name = normalizeName(args.name);
    if (name === null) throw usageError(`--name "${args.name}" is not a valid name: 1–32 letters, digits, - and _`);
  }
  const scopes = scopesOf(host);
  const scope = (args.scope ?? host.defaultScope) as Scope; // one of `scopes`: citty checks the enum
  if (args.dir !== undefined && scope !== "project" && !args.trust) {
    throw usageError(`--dir is the project directory of --scope project${scopes.includes("project") ? "; add --scope project" : `, and ${host.title} has no project scope`}`);
  }
  const self = selfCommand();
  const fixed = scope === "project" ? name : null;
  const seat = fixed === null ? (name ?? host.seat) : null;
  return {
    host,
    scope,
    places: { ...hostDirs(), project: resolve(args.dir ?? ".") },
    launch: mcpLaunch(fixed, self, undefined, seat),
    ...(args.hooks && HOOK_SETS[host.id] !== undefined && { hookCommand: hookCommand(self, fixed, undefined, HOOK_SETS[host.id]!.subcommand) }),
  };
}

/** This same `ipc setup` command line with --write: the flags given kept, so the hint writes what was shown. */
export function writeCommand(host: Host, args: HostArgs): string {
  const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);
  const words = ["ipc", "setup", host.id];
  if (args.name !== undefined) words.push("--name", quote(args.name));
  if (args.scope !== undefined) words.push("--scope", args.scope);
  if (args.dir !== undefined) words.push("--dir", quote(args.dir));
  if (args.hooks) words.push("--hooks");
  if (args.trust) words.push("--trust");
  return [...words, "--write"].join(" ");
}

function run(host: Host, args: HostArgs): void {
  const req = request(host, args);
  const json = args.json === true;
  const p = palette(resolveConfig({ json }).color);
  const snippet = serverSnippet(req);
  const hooks = hooksSnippetOf(req);
  // Gemini CLI: the folder's trust decides whether it starts the server at all (src/setup/gemini-trust.ts).
  // Both are computed without writing first; with --write they are written after the host's files (writeSetup may refuse a malformed file).
  const trustStep = (write: boolean) => (host.id === "gemini" ? geminiTrustStep({ dir: args.dir ?? ".", home: req.places.home, trust: args.trust === true, write }) : null);
  let trust = trustStep(false);
  // OpenCode: its "hooks" are the ipc plugin, a file of our own (src/setup/opencode-plugin.ts).
  const fixed = req.launch.env.IPC_NAME ?? null; // set only for a fixed name (project scope with --name)
  const pluginStep = (write: boolean) => (host.id === "opencode" && args.hooks ? opencodePluginStep({ scope: req.scope, places: req.places, self: selfCommand(), name: fixed, env: brokerEnv(), write }) : null);
  let plugin = pluginStep(false);
  const trustJson = () => trust && { trust: { dir: trust.dir, trusted: trust.trust.trusted, why: trust.trust.why, file: trust.trust.file, written: trust.written } };
  if (!args.write) {
    if (json) {
      out(`${JSON.stringify({ ok: true, host: host.id, scope: req.scope, file: snippet.file, format: snippet.format, snippet: snippet.text, hooks: hooks, ...trustJson(), ...(plugin && { plugin: { file: plugin.file, text: plugin.text } }) })}\n`);
      return;
    }
    if (trust !== null && trust.lines.length > 0) errOut(p.dim(`${trust.lines.map((l) => `# ${l.trim()}`).join("\n")}\n`));
    errOut(p.dim(`# ${host.title} (${req.scope} scope): add this to ${snippet.file}, or run \`${writeCommand(host, args)}\`\n`));
    const seat = req.launch.env.IPC_SEAT;
    if (seat !== undefined) errOut(p.dim(`# each session registers ${seat}-<project> (${seat}-<project>-2… when one is live already); a fixed name: --scope project --name NAME\n`));
    out(snippet.text);
    if (hooks) {
      errOut(p.dim(`# hooks: merge this into ${hooks.file}\n`));
      if (HOOKS_NEXT[host.id] !== undefined) errOut(p.dim(`# then, before they run: ${HOOKS_NEXT[host.id]}\n`));
      out(hooks.text);
    }
    if (plugin) {
      errOut(p.dim(`# the wake plugin: save this as ${plugin.file}\n`));
      out(plugin.text);
    }
    return;
  }
  const written = writeSetup(req);
  trust = trustStep(true);
  plugin = pluginStep(true);
  const oneFile = hooks !== null && hooks.file === snippet.file; // Gemini CLI keeps both in settings.json
  if (json) {
    out(`${JSON.stringify({ ok: true, host: host.id, scope: req.scope, written: plugin?.written ? [...written, plugin.written] : written, ...trustJson() })}\n`);
    return;
  }
  const lines = written.map((w, i) => {
    const what = i === 0 ? `${host.title}: the ipc MCP server${oneFile ? " and hooks" : ""}` : `${host.title}: ipc hooks`;
    if (w.status === "unchanged") return `${p.green("✔")} ${what} already configured in ${w.file}`;
    const backup = w.backup ? p.dim(` (backup: ${w.backup})`) : "";
    return `${p.green("✔")} ${what} added to ${w.file}${w.status === "created" ? " (new file)" : ""}${backup}`;
  });
  if (plugin?.written) {
    const w = plugin.written;
    lines.push(`${p.green("✔")} ${host.title}: the ipc wake plugin ${w.status === "unchanged" ? "already in" : w.status === "created" ? "added as" : "updated in"} ${w.file}${w.backup ? p.dim(` (backup: ${w.backup})`) : ""}`);
  }
  if (trust !== null) lines.push(...trust.lines.map((l) => (l.startsWith("✔") ? `${p.green("✔")}${l.slice(1)}` : l.startsWith("⚠") ? `${p.yellow("⚠")}${l.slice(1)}` : l)));
  if (written.some((w) => w.status !== "unchanged") || (trust?.written?.status ?? "unchanged") !== "unchanged" || (plugin?.written?.status ?? "unchanged") !== "unchanged") lines.push(`Next: ${host.next}.`);
  if (hooks !== null && HOOKS_NEXT[host.id] !== undefined) lines.push(`Before the hooks run: ${HOOKS_NEXT[host.id]}. \`ipc doctor\` says whether they are trusted.`);
  out(`${lines.join("\n")}\n`);
}

/** What the person must still do before a host runs the hooks written (Codex: its hook review). */
const HOOKS_NEXT: Partial<Record<Host["id"], string>> = {
  codex: CODEX_TRUST_HOW,
};

/** What --hooks installs, per host with hooks. */
const HOOKS_HELP: Partial<Record<Host["id"], string>> = {
  "claude-code": "also install the `ipc hook claude-code` hooks into .claude/settings.json: mail as context (UserPromptSubmit, PostToolUse, SessionStart) and the wake waiter that wakes an idle session (SessionStart, Stop)",
  codex: "also install the `ipc hook codex` hooks into ~/.codex/hooks.json: mail as context (SessionStart, UserPromptSubmit), one more turn with mail waiting at the end of a turn (Stop), and the waiter that wakes an idle session (armed at SessionStart); Codex runs them only once you trust them in its \"Hooks need review\" dialog",
  gemini: "also install the `ipc hook gemini` hooks into settings.json: mail as context (SessionStart, BeforeAgent, AfterTool), one more turn with mail waiting at the end of a turn (AfterAgent)",
  cursor: "also install the `ipc hook cursor` hook into hooks.json: mail waiting at the end of a turn as a follow-up message (stop)",
  opencode: "also install the ipc wake plugin into OpenCode's plugins folder: it wakes an idle session when mail arrives (OpenCode's own API) and hands over mail that arrived during a turn when it ends",
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
      // Only hosts with a project file take a project directory (Codex has none).
      ...(scopes.includes("project") && {
        dir: { type: "string", description: "project directory for --scope project (default: the current directory)", valueHint: "dir" },
      }),
      name: {
        type: "string",
        description: "--scope project: the name the MCP server registers (IPC_NAME); user scope: the seat prefix (IPC_SEAT), each session registers NAME-<project>",
        valueHint: "name",
      },
      ...((HOOK_SETS[host.id] !== undefined || host.id === "opencode") && {
        hooks: { type: "boolean", description: HOOKS_HELP[host.id] },
      }),
      // Gemini CLI starts no MCP server and runs no hooks in a folder it does not trust.
      ...(host.id === "gemini" && {
        trust: { type: "boolean", description: "with --write, also trust the folder (--dir, default the current one) in ~/.gemini/trustedFolders.json: Gemini CLI starts no MCP server in an untrusted folder" },
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
