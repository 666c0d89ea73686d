/**
 * The root command and its lazy map of subcommands (as nuxt/cli does): each
 * name maps to `() => import(…)`, so `ipc send` never loads the MCP SDK or
 * the broker. main.ts runs it; `ipc completion` walks it.
 */
import { type CommandDef, defineCommand } from "citty";
import { VERSION } from "../version.ts";

/** A subcommand loaded on demand. */
export type LazyCommand = () => Promise<CommandDef<any>>;
const load = (p: Promise<{ default: CommandDef<any> }>) => p.then((m) => m.default);

/** Every subcommand, by name, loaded on demand. */
export const COMMANDS: Record<string, LazyCommand> = {
  serve: () => load(import("./serve.ts")),
  stop: () => load(import("./stop.ts")),
  status: () => load(import("./status.ts")),
  mcp: () => load(import("./mcp.ts")),
  register: () => load(import("./register.ts")),
  whoami: () => load(import("./whoami.ts")),
  send: () => load(import("./send.ts")),
  broadcast: () => load(import("./broadcast.ts")),
  check: () => load(import("./check.ts")),
  watch: () => load(import("./watch.ts")),
  list: () => load(import("./list.ts")),
  rename: () => load(import("./rename.ts")),
  read: () => load(import("./read.ts")),
  unsend: () => load(import("./unsend.ts")),
  history: () => load(import("./history.ts")),
  search: () => load(import("./search.ts")),
  "share-file": () => load(import("./share-file.ts")),
  "share-command": () => load(import("./share-command.ts")),
  "auto-check": () => load(import("./auto-check.ts")),
  "import-legacy": () => load(import("./import-legacy.ts")),
  hook: () => load(import("./hook.ts")),
  setup: () => load(import("./setup.ts")),
  doctor: () => load(import("./doctor.ts")),
  invite: () => load(import("./invite.ts")),
  join: () => load(import("./join.ts")),
  machines: () => load(import("./machines.ts")),
  revoke: () => load(import("./revoke.ts")),
  leave: () => load(import("./leave.ts")),
  ui: () => load(import("./ui.ts")),
  claim: () => load(import("./claim.ts")),
  release: () => load(import("./release.ts")),
  claims: () => load(import("./claims.ts")),
  guard: () => load(import("./guard.ts")),
  channel: () => load(import("./channel.ts")),
  thread: () => load(import("./thread.ts")),
  cluster: () => load(import("./cluster.ts")),
  completion: () => load(import("./completion.ts")),
};

/** `ipc` itself. */
export const root: CommandDef<any> = defineCommand({
  meta: {
    name: "ipc",
    version: VERSION,
    description: "Messaging between AI agents and people: broker, MCP server and CLI in one binary. ipc help COMMAND shows the options of a command",
  },
  subCommands: COMMANDS,
});
