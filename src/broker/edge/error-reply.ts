/**
 * The error reply to one request, shared by the dispatcher, the intake, the
 * server and any op that answers a request itself (ops/claims.ts): a refusal
 * as it is, a damaged database or a full disk in words that name the file and
 * the fix, anything else INTERNAL with the open transaction abandoned.
 */
import { paths } from "../../config.ts";
import { IpcError } from "../../protocol/errors.ts";
import { databaseError, diskFullMessage, isCorruption, isDiskFull } from "../../store/database.ts";
import type { Broker } from "../broker.ts";
import type { Connection } from "./connection.ts";
import { errorFrame } from "./frames.ts";
import { log } from "../log.ts";

/**
 * Sends an error response for request `id`. Refusals (IpcError) happen before
 * any write. Anything else may have left a write half done, so the whole
 * open transaction is abandoned (every request in it fails, nothing is kept),
 * logged, and answered INTERNAL.
 */
export function reply(b: Broker, conn: Connection, id: unknown, err: unknown): void {
  let e: IpcError;
  if (err instanceof IpcError) e = err;
  else if (isCorruption(err)) {
    // A damaged database: say so to the client and in the log, in words that name the file and the fix.
    e = databaseError(paths.database(b.config), err) as IpcError;
    log.error(e.message);
    b.commit.abort("the database is damaged");
  } else if (isDiskFull(err)) {
    // One short line: on a full disk a long one (a stack) is what gets cut off in broker.log.
    log.error(`disk full (SQLITE_FULL) writing ${paths.database(b.config)}: the request is refused, nothing of it stored`);
    b.commit.abort("the disk is full");
    e = new IpcError("INTERNAL", diskFullMessage(paths.database(b.config)));
  } else {
    log.error(`internal error: ${(err as Error)?.stack ?? String(err)}`);
    b.commit.abort("a request failed while writing");
    e = new IpcError("INTERNAL", "internal broker error; nothing of this request was stored; see broker.log");
  }
  b.commit.send(conn, errorFrame(id, e.toBody()), id);
}
