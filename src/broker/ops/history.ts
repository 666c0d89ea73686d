/** history and search over messages the session's instance sent or received. */
import { isChannel } from "../../protocol/channels.ts";
import { IpcError } from "../../protocol/errors.ts";
import { toMessage } from "../delivery/present.ts";
import { fittingNow } from "../delivery/reply-budget.ts";
import { canonical, isMember } from "./channels.ts";
import type { OpHandler } from "./types.ts";

export const history: OpHandler<"history"> = (b, conn, req) => {
  const s = b.requireSession(conn, req.token);
  if (req.with !== undefined && isChannel(req.with)) {
    if (!isMember(b, req.with, s.name)) throw new IpcError("FORBIDDEN", `${s.name} is not in ${req.with}: only members read its history (ipc channel join '${req.with}')`);
    const limit = req.limit ?? 50;
    let posts = b.messages.channelHistory(req.with, limit, req.before);
    if (b.cluster !== null) {
      // On a cluster, posts made on other brokers have no record here: the reader's own copies stand for them.
      const copies = b.messages.channelCopies(b.registry.identityOf(s.name), req.with, limit, req.before);
      const remote = copies.filter((r) => canonical(b, r) === r);
      if (remote.length > 0) posts = [...posts, ...remote].sort((x, y) => y.id - x.id).slice(0, limit);
    }
    return { messages: posts.slice(0, fittingNow(b, posts, true)).map((r) => toMessage(r, true)) };
  }
  const rows = b.messages.history(b.registry.identityOf(s.name), req.limit ?? 50, req.before, req.with);
  return { messages: rows.slice(0, fittingNow(b, rows, true)).map((r) => toMessage(r, true)) };
};

/** Most messages a search indexes before it runs (about 50 ms); older backlog is the indexer's. */
export const SEARCH_CATCH_UP = 20_000;

export const search: OpHandler<"search"> = (b, conn, req) => {
  const s = b.requireSession(conn, req.token);
  // The indexer timer keeps up with ordinary traffic; a search indexes a bounded backlog itself.
  b.commit.begin();
  b.search.catchUp(SEARCH_CATCH_UP);
  const rows = b.search.search(b.registry.identityOf(s.name), req.query, req.limit ?? 20);
  return { messages: rows.slice(0, fittingNow(b, rows, false)).map((r) => toMessage(r, false)) };
};
