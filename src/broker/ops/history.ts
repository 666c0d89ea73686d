/** history and search over messages the session's instance sent or received. */
import { toMessage } from "../present.ts";
import { fitting } from "../reply-budget.ts";
import type { OpHandler } from "./types.ts";

export const history: OpHandler<"history"> = (b, conn, req) => {
  const s = b.requireSession(conn, req.token);
  const rows = b.messages.history(s.name, req.limit ?? 50, req.before, req.with);
  return { messages: rows.slice(0, fitting(rows, true)).map((r) => toMessage(r, true)) };
};

export const search: OpHandler<"search"> = (b, conn, req) => {
  const s = b.requireSession(conn, req.token);
  b.commit.begin();
  while (b.search.catchUp(10_000) > 0) {
    // Index whatever the sweep has not reached yet, so results are complete.
  }
  const rows = b.search.search(s.name, req.query, req.limit ?? 20);
  return { messages: rows.slice(0, fitting(rows, false)).map((r) => toMessage(r, false)) };
};
