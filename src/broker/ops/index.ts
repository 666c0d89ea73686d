/** The op table: every v2 op and its handler. */
import type { Op } from "../../protocol/requests.ts";
import { list, status } from "./directory.ts";
import { history, search } from "./history.ts";
import { check, read } from "./inbox.ts";
import { broadcast, send, unsend } from "./messaging.ts";
import { rename } from "./rename.ts";
import { auth, hello, prove, register, shutdown, subscribe, unsubscribe, verify, whoami } from "./session.ts";
import type { OpHandler } from "./types.ts";
import { ui } from "./ui.ts";

export const OPS: { [O in Op]: OpHandler<O> } = {
  hello,
  prove,
  register,
  auth,
  send,
  broadcast,
  check,
  read,
  unsend,
  list,
  rename,
  history,
  search,
  status,
  whoami,
  verify,
  subscribe,
  unsubscribe,
  ui,
  shutdown,
};
