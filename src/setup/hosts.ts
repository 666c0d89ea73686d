/**
 * The AI hosts `ipc setup` configures and `ipc doctor` inspects: one entry
 * per host, saying where its MCP configuration lives and what the `ipc`
 * server entry looks like there. Formats follow each host's documentation:
 * Claude Code `claude mcp add` (.mcp.json, ~/.claude.json), Gemini CLI
 * settings.json `mcpServers`, Codex config.toml `[mcp_servers.<name>]`,
 * Cursor mcp.json, Windsurf mcp_config.json.
 */
import { join } from "node:path";
import type { HostDirs } from "../config.ts";
import { COPILOT, OPENCODE } from "./more-hosts.ts";

/** Where a configuration applies: one project (a file in its directory), or every project of this user. */
export type Scope = "project" | "user";

/** How an AI host starts `ipc mcp`: an absolute command, its arguments, extra environment. */
export interface Launch {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** The directories a host's files are found from. */
export interface Places extends HostDirs {
  /** The project directory (project scope). */
  project: string;
}

/** One AI host. */
export interface Host {
  id: "claude-code" | "gemini" | "codex" | "cursor" | "windsurf" | "opencode" | "copilot";
  title: string;
  /** The seat template of its sessions (IPC_SEAT): they register `<seat>-<project>`, e.g. claude-webapp. */
  seat: string;
  format: "json" | "toml";
  /** JSON files only: the host reads them as JSONC (comments, trailing commas), so they may contain those. */
  jsonc: boolean;
  /** The config file of each scope the host has. */
  files: Partial<Record<Scope, (p: Places) => string>>;
  /** The scope used without --scope: user, so that no absolute path lands in a file a team shares. */
  defaultScope: Scope;
  /** Where the server table sits in the file, e.g. ["mcpServers", "ipc"]. */
  keyPath: string[];
  /** The server entry for `launch`. */
  entry(launch: Launch): Record<string, unknown>;
  /** The command and arguments an existing entry runs, where they are not its `command` and `args` keys (OpenCode: one `command` array). */
  commandOf?(entry: Record<string, unknown>): { command: unknown; args: unknown[] };
  /** What the user does next, after writing. */
  next: string;
}

/** The name of our server entry in every host's configuration. */
export const SERVER_NAME = "ipc";

/** command + args, and env only when it has something: the common shape of most hosts. */
const plain = (l: Launch): Record<string, unknown> => ({
  command: l.command,
  args: l.args,
  ...(Object.keys(l.env).length > 0 && { env: l.env }),
});

/** Every host, in the order help and the README list them. */
export const HOSTS: readonly Host[] = [
  {
    id: "claude-code",
    title: "Claude Code",
    seat: "claude",
    format: "json",
    jsonc: false,
    files: { project: (p) => join(p.project, ".mcp.json"), user: (p) => join(p.home, ".claude.json") },
    defaultScope: "user",
    keyPath: ["mcpServers", SERVER_NAME],
    // As `claude mcp add` writes it: type, command, args, env (always present).
    entry: (l) => ({ type: "stdio", command: l.command, args: l.args, env: l.env }),
    next: "restart Claude Code (a new session) and check with /mcp",
  },
  {
    id: "gemini",
    title: "Gemini CLI",
    seat: "gemini",
    format: "json",
    jsonc: true,
    files: {
      project: (p) => join(p.project, ".gemini", "settings.json"),
      user: (p) => join(p.home, ".gemini", "settings.json"),
    },
    defaultScope: "user",
    keyPath: ["mcpServers", SERVER_NAME],
    entry: plain,
    next: "restart Gemini CLI and check with /mcp",
  },
  {
    id: "codex",
    title: "Codex",
    seat: "codex",
    format: "toml",
    jsonc: false,
    files: { user: (p) => join(p.codexHome, "config.toml") },
    defaultScope: "user",
    keyPath: ["mcp_servers", SERVER_NAME],
    entry: plain,
    next: "restart Codex and check with /mcp",
  },
  {
    id: "cursor",
    title: "Cursor",
    seat: "cursor",
    format: "json",
    jsonc: true,
    files: {
      project: (p) => join(p.project, ".cursor", "mcp.json"),
      user: (p) => join(p.home, ".cursor", "mcp.json"),
    },
    defaultScope: "user",
    keyPath: ["mcpServers", SERVER_NAME],
    entry: plain,
    next: "reload Cursor and check Settings → MCP",
  },
  {
    id: "windsurf",
    title: "Windsurf",
    seat: "windsurf",
    format: "json",
    jsonc: true,
    files: { user: (p) => join(p.home, ".codeium", "windsurf", "mcp_config.json") },
    defaultScope: "user",
    keyPath: ["mcpServers", SERVER_NAME],
    entry: plain,
    next: "press refresh in Windsurf's MCP panel (Cascade → MCP servers)",
  },
  // OpenCode and GitHub Copilot CLI: src/setup/more-hosts.ts.
  OPENCODE,
  COPILOT,
];

/** The host named `id`, or undefined. */
export function hostById(id: string): Host | undefined {
  return HOSTS.find((h) => h.id === id);
}

/** The scopes `host` has, default first. */
export function scopesOf(host: Host): Scope[] {
  const all = Object.keys(host.files) as Scope[];
  return [host.defaultScope, ...all.filter((s) => s !== host.defaultScope)];
}
