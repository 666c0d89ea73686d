/** Every tool of `ipc mcp`, in the order hosts list them. */
import autoCheck from "./auto-check.ts";
import broadcast from "./broadcast.ts";
import channels from "./channels.ts";
import check from "./check.ts";
import claim from "./claim.ts";
import listInstances from "./list-instances.ts";
import readMessage from "./read-message.ts";
import register from "./register.ts";
import rename from "./rename.ts";
import searchMessages from "./search-messages.ts";
import send from "./send.ts";
import shareCommand from "./share-command.ts";
import shareFile from "./share-file.ts";
import type { Tool } from "./_tool.ts";

export const TOOLS: readonly Tool[] = [
  register,
  send,
  broadcast,
  check,
  listInstances,
  readMessage,
  searchMessages,
  rename,
  shareFile,
  shareCommand,
  autoCheck,
  claim,
  channels,
];

/** Tools by name. */
export const TOOLS_BY_NAME: ReadonlyMap<string, Tool> = new Map(TOOLS.map((t) => [t.name, t]));
