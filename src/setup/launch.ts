/** The command line an AI host runs to start this very `ipc` as an MCP server or hook. */
import { resolve } from "node:path";
import { selfCommand } from "../client/connect.ts";
import type { Launch } from "./hosts.ts";

/** Where the broker is, as set in this environment: the variables a host must pass on so its `ipc` finds the same broker. */
export const BROKER_ENV = ["IPC_HOME", "IPC_HOST", "IPC_PORT", "IPC_SOCKET"] as const;

/** The BROKER_ENV variables set (non-empty) in `env`; IPC_HOME made absolute. */
export function brokerEnv(env: Record<string, string | undefined> = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of BROKER_ENV) {
    const value = env[key];
    if (value) out[key] = key === "IPC_HOME" ? resolve(value) : value;
  }
  return out;
}

/**
 * How to start `ipc mcp` with this program: the compiled binary's absolute
 * path, or, running from source, the Bun binary plus the absolute path of
 * src/main.ts. `name` becomes IPC_NAME in the server's environment, else
 * `seat` becomes IPC_SEAT (each session registers `<seat>-<project>`,
 * docs/identity.md), next to the broker's address when it is not the
 * default (`extraEnv`, see brokerEnv).
 */
export function mcpLaunch(
  name?: string | null,
  self: string[] = selfCommand(),
  extraEnv: Record<string, string> = brokerEnv(),
  seat: string | null = null,
): Launch {
  const [command, ...rest] = self;
  const who: Record<string, string> = name ? { IPC_NAME: name } : seat ? { IPC_SEAT: seat } : {};
  return { command: command!, args: [...rest, "mcp"], env: { ...extraEnv, ...who } };
}

/** `words` as one POSIX shell command line (hooks are shell strings), quoting where needed. */
export function shellLine(words: string[]): string {
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`)).join(" ");
}
