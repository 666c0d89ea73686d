/** Flag fragments shared by commands (spread into each command's `args`), and turning them into a Config. */
import { type Config, type ConfigFlags, resolveConfig } from "../config.ts";

/** Where the broker is and where data lives. */
export const brokerArgs = {
  home: { type: "string", description: "data directory (env IPC_HOME, default ~/.ipc)", valueHint: "dir" },
  host: { type: "string", description: "broker address (env IPC_HOST, default 127.0.0.1)" },
  port: { type: "string", description: "broker TCP port (env IPC_PORT, default 9876)" },
  spawn: {
    type: "boolean",
    default: true,
    description: "start a broker when none answers",
    negativeDescription: "never start a broker; exit 3 if none answers (env IPC_NO_SPAWN)",
  },
  json: { type: "boolean", description: "machine-readable JSON output" },
} as const;

/** Who the command acts as. */
export const identityArgs = {
  as: { type: "string", description: "act as this name (env IPC_NAME; default: the last registered name)", valueHint: "name" },
} as const;

/** The parsed values of brokerArgs / identityArgs. */
export interface CommonArgValues {
  home?: string;
  host?: string;
  port?: string;
  spawn?: boolean;
  json?: boolean;
  as?: string;
  socket?: string;
}

/** Resolves the configuration from a command's parsed flags. */
export function configFrom(args: CommonArgValues, extra: Partial<ConfigFlags> = {}): Config {
  return resolveConfig({
    home: args.home,
    host: args.host,
    port: args.port,
    spawn: args.spawn,
    json: args.json,
    as: args.as,
    socket: args.socket,
    ...extra,
  });
}
