/** The op table: every v2 op and its handler. */
import type { Op } from "../../protocol/requests.ts";
import { channel, thread } from "./channels.ts";
import { claim, claims, release } from "./claims.ts";
import { list, status } from "./directory.ts";
import { history, search } from "./history.ts";
import { ack, check, read } from "./inbox.ts";
import { broadcast, send, unsend } from "./messaging.ts";
import { listen } from "./listen.ts";
import { give, invite, join, leave, machines, prove_machine, revoke } from "./remote.ts";
import { rename } from "./rename.ts";
import { auth, hello, prove, register, shutdown, subscribe, unsubscribe, verify, whoami } from "./session.ts";
import type { OpHandler } from "./types.ts";
import { ui } from "./ui.ts";

export const OPS: { [O in Op]: OpHandler<O> } = {
  hello,
  prove,
  prove_machine,
  invite,
  join,
  machines,
  revoke,
  give,
  leave,
  listen,
  register,
  auth,
  send,
  broadcast,
  check,
  ack,
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
  claim,
  release,
  claims,
  channel,
  thread,
};
