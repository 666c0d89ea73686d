/** history and search over messages the session's instance sent or received. */
import { toMessage } from "../present.ts";
import { fittingNow } from "../reply-budget.ts";
import type { OpHandler } from "./types.ts";

export const history: OpHandler<"history"> = (b, conn, req) => {
  const s = b.requireSession(conn, req.token);
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
