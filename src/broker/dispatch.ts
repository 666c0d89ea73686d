/**
 * Frame in → schema check → handler → frame out (docs/design.md#5-protocol-v2). Decides on a
 * connection's first JSON object whether it speaks v2 or the legacy protocol.
 */
import * as v from "valibot";
import { IpcError } from "../protocol/errors.ts";
import { NAME_FIELDS, quickSend, REQUEST_SCHEMAS, type Request, RequestId } from "../protocol/requests.ts";
import type { Broker } from "./broker.ts";
import { type Connection, Mode } from "./edge/connection.ts";
import { reply } from "./edge/error-reply.ts";
import { okFrame, SendAnswer, sendAnswerFrame } from "./edge/frames.ts";
import { handleLegacy } from "./edge/legacy/handle.ts";
import { OPS } from "./ops/index.ts";
import { actionOf, partyOf, refusal } from "./parties.ts";

/**
 * Ops whose replies can be large (megabytes of message text to read and
 * encode): while one has just run long, the next waits its turn (see
 * Broker.heavyUntil), so other clients are answered between them.
 */
const HEAVY_OPS: ReadonlySet<string> = new Set(["history", "search", "read"]);

/** A heavy op that ran at least this long (ms) makes the next ones wait as long. */
const HEAVY_MS = 2;

/**
 * Handles one complete frame of text from `conn`. Never throws.
 * @returns false when the frame was not handled: a heavy op that must wait until `b.heavyUntil` (handle it again then).
 */
export function handleFrame(b: Broker, conn: Connection, text: string): boolean {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    reply(b, conn, null, badRequest("frame is not valid JSON (one JSON object per line)"));
    return true;
  }
  const heavy = isObject(obj) && typeof obj.op === "string" && HEAVY_OPS.has(obj.op);
  // The clock is read only for the ops that may wait their turn (conn.lastActivity is set per batch of frames: intake.ts).
  const started = heavy ? performance.now() : 0;
  if (heavy && started < b.heavyUntil) return false;
  if (conn.mode === Mode.Fresh) {
    conn.decoder.stopWatchingObjectEnd();
    if (isObject(obj) && "action" in obj) {
      if (conn.transport === "tls") {
        // The legacy protocol's static proof can be replayed: never on the network.
        conn.mode = Mode.Closing;
        reply(b, conn, null, new IpcError("FORBIDDEN", "the claude-ipc-mcp protocol is not served on network listeners: use ipc join"));
        conn.end();
        return true;
      }
      conn.mode = Mode.Legacy;
      handleLegacy(b, conn, obj);
      return true;
    }
    conn.mode = Mode.V2;
  } else if (conn.mode >= Mode.Legacy) {
    return true;
  }
  handleRequest(b, conn, obj);
  if (heavy) {
    const took = performance.now() - started;
    if (took >= HEAVY_MS) b.heavyUntil = performance.now() + took;
  }
  return true;
}

/** Validates and runs one v2 request. */
function handleRequest(b: Broker, conn: Connection, obj: unknown): void {
  if (!isObject(obj)) {
    reply(b, conn, null, badRequest("a frame must be a JSON object with an \"op\""));
    return;
  }
  let req: Request | null = quickSend(obj);
  if (req === null) {
    const schema = typeof obj.op === "string" ? REQUEST_SCHEMAS.get(obj.op) : undefined;
    const parsed = schema === undefined ? undefined : v.safeParse(schema, obj);
    if (parsed === undefined || !parsed.success) {
      const id = v.is(RequestId, obj.id) ? obj.id : null;
      reply(b, conn, id, invalid(obj, parsed?.issues ?? []));
      return;
    }
    req = parsed.output as Request;
  }
  const id = req.id ?? null;
  // Limits are per session: a request carrying its own token counts against that session.
  const own = req.token === undefined ? null : b.sessions.resolve(req.token, b.clock());
  const session = own ?? conn.session;
  const wait = (session === null ? conn.bucket : b.sessions.bucketOf(session.name)).take();
  if (wait > 0) {
    reply(b, conn, id, new IpcError("RATE_LIMITED", `too many requests (IPC_RATE_LIMIT per minute); retry in ${wait} ms`, undefined, wait));
    return;
  }
  // Who may do what: the matrix of operations × parties, checked here for every op (parties.ts).
  const refused = refusal(actionOf(req), partyOf(b, conn, own));
  if (refused !== null) {
    reply(b, conn, id, refused);
    return;
  }
  // A request carrying a valid session token authenticates its connection (it holds a session).
  if (own !== null && conn.transport !== "tls") conn.authenticated = true;
  try {
    // Only a send holds its row back (deliver's holdBack): any other op reads and writes the table as it stands.
    if (req.op !== "send") b.messages.drain();
    const result = (OPS[req.op] as (b: Broker, c: Connection, r: typeof req) => object | undefined)(b, conn, req);
    if (result !== undefined) b.commit.send(conn, result instanceof SendAnswer ? sendAnswerFrame(id, result) : okFrame(id, result), id);
  } catch (err) {
    reply(b, conn, id, err);
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function badRequest(message: string): IpcError {
  return new IpcError("BAD_REQUEST", message);
}

/** Turns valibot issues into one error: INVALID_NAME for name fields, else BAD_REQUEST. */
function invalid(obj: Record<string, unknown>, issues: v.BaseIssue<unknown>[]): IpcError {
  const op = obj.op;
  if (typeof op !== "string" || !(op in OPS)) {
    return badRequest(`unknown op ${JSON.stringify(op ?? null)}; ops: ${Object.keys(OPS).join(", ")}`);
  }
  const issue = issues[0];
  if (issue === undefined) return badRequest(`${op}: invalid request`);
  const field = issue.path?.map((p) => String(p.key)).join(".") ?? "";
  const top = issue.path?.[0]?.key;
  const code = typeof top === "string" && NAME_FIELDS.has(top) ? "INVALID_NAME" : "BAD_REQUEST";
  const got = issue.input === undefined ? "missing" : `got ${issue.received}`;
  return new IpcError(code, `${op}: ${field ? `${field}: ` : ""}${issue.message} (${got})`);
}
