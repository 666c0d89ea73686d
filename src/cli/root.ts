/**
 * The root citty command, registered by main.ts, for commands that walk the
 * whole tree (`ipc completion`). They cannot import main.ts: it is still
 * evaluating (top-level await) while a subcommand runs.
 */
import type { CommandDef } from "citty";

let root: CommandDef<any> | null = null;

/** Registers the root command (main.ts, once). */
export function setRootCommand(cmd: CommandDef<any>): void {
  root = cmd;
}

/** The root command. @throws Error when main.ts has not registered it. */
export function rootCommand(): CommandDef<any> {
  if (root === null) throw new Error("the root command is not registered (run through src/main.ts)");
  return root;
}
