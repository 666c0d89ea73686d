/**
 * Two more AI hosts for `ipc setup` and `ipc doctor`, in the shape of
 * hosts.ts:
 * - OpenCode (opencode-ai; opencode.ai/docs/mcp-servers, checked against
 *   OpenCode 1.18.33): `opencode.json` (user: `$XDG_CONFIG_HOME/opencode/`,
 *   default ~/.config/opencode/; project: the project's root; read as JSONC,
 *   opencode.jsonc when that is the file present) holds
 *   `{"mcp": {"ipc": {"type": "local", "command": [cmd, ...args], "environment": {…}, "enabled": true}}}`.
 * - GitHub Copilot CLI (@github/copilot; `copilot mcp --help`, checked
 *   against 1.0.102 whose `copilot mcp add` writes the same entry):
 *   `$COPILOT_HOME/mcp-config.json` (default ~/.copilot/; project:
 *   `.github/mcp.json`) holds
 *   `{"mcpServers": {"ipc": {"type": "local", "command", "args", "env"?, "tools": ["*"]}}}`.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { moreHostDirs } from "../config.ts";
import type { Host, Launch } from "./hosts.ts";

/** OpenCode's config file in folder `dir`: opencode.jsonc when only that exists, else opencode.json. */
export function opencodeFile(dir: string): string {
  const jsonc = join(dir, "opencode.jsonc");
  const json = join(dir, "opencode.json");
  return existsSync(jsonc) && !existsSync(json) ? jsonc : json;
}

/** OpenCode's server entry: the command as one array, the environment under "environment". */
function opencodeEntry(l: Launch): Record<string, unknown> {
  return { type: "local", command: [l.command, ...l.args], ...(Object.keys(l.env).length > 0 && { environment: l.env }), enabled: true };
}

/** Copilot CLI's server entry, as `copilot mcp add ipc [--env K=V] -- cmd args` writes it. */
function copilotEntry(l: Launch): Record<string, unknown> {
  return { type: "local", command: l.command, args: l.args, ...(Object.keys(l.env).length > 0 && { env: l.env }), tools: ["*"] };
}

export const OPENCODE: Host = {
  id: "opencode",
  title: "OpenCode",
  seat: "opencode",
  format: "json",
  jsonc: true,
  files: {
    project: (p) => opencodeFile(p.project),
    user: (p) => opencodeFile(moreHostDirs(p.home).opencodeDir),
  },
  defaultScope: "user",
  keyPath: ["mcp", "ipc"],
  entry: opencodeEntry,
  commandOf: (e) => (Array.isArray(e.command) ? { command: e.command[0], args: e.command.slice(1) } : { command: e.command, args: [] }),
  next: "restart OpenCode and check with `opencode mcp list`",
};

export const COPILOT: Host = {
  id: "copilot",
  title: "GitHub Copilot CLI",
  seat: "copilot",
  format: "json",
  jsonc: false,
  files: {
    project: (p) => join(p.project, ".github", "mcp.json"),
    user: (p) => join(moreHostDirs(p.home).copilotHome, "mcp-config.json"),
  },
  defaultScope: "user",
  keyPath: ["mcpServers", "ipc"],
  entry: copilotEntry,
  next: "restart Copilot CLI and check with `copilot mcp list` (or /mcp in a session)",
};
