/** The command line an AI host runs to start this very `ipc` as an MCP server or hook. */
import { selfCommand } from "../client/connect.ts";
import type { Launch } from "./hosts.ts";

/**
 * How to start `ipc mcp` with this program: the compiled binary's absolute
 * path, or, running from source, the Bun binary plus the absolute path of
 * src/main.ts. `name` becomes IPC_NAME in the server's environment.
 */
export function mcpLaunch(name?: string | null, self: string[] = selfCommand()): Launch {
  const [command, ...rest] = self;
  return { command: command!, args: [...rest, "mcp"], env: name ? { IPC_NAME: name } : {} };
}

/** `words` as one POSIX shell command line (hooks are shell strings), quoting where needed. */
export function shellLine(words: string[]): string {
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`)).join(" ");
}
