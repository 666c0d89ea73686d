/**
 * JSON-RPC 2.0 errors the MCP SDK does not send (jsonrpc.org/specification §5.1):
 * its stdio transport drops a line that is not JSON, or not a JSON-RPC message,
 * without an answer, and a request whose params fail its schema is answered
 * -32603 with the schema library's multi-line dump. Here a line that is not
 * JSON gets -32700, one that is not a JSON-RPC message -32600, and bad params
 * -32602, each with a one-line message.
 */
import { Readable } from "node:stream";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";

/** JSON-RPC 2.0 error codes (specification §5.1). */
export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const INVALID_PARAMS = -32602;

/** A JSON-RPC error response. */
export interface ErrorResponse {
  jsonrpc: "2.0";
  id: string | number | null;
  error: { code: number; message: string };
}

const answer = (id: string | number | null, code: number, message: string): ErrorResponse => ({ jsonrpc: "2.0", id, error: { code, message } });

/**
 * What one input line (without its newline) gets before the SDK sees it: null to
 * pass it on (a JSON-RPC message), "drop" for a blank line or a malformed
 * response (never answered, so two peers cannot answer each other forever), else
 * the error response to send.
 */
export function screenLine(line: string): ErrorResponse | "drop" | null {
  if (line.trim() === "") return "drop";
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return answer(null, PARSE_ERROR, "Parse error: the line is not JSON; send one JSON-RPC message as one line of JSON");
  }
  if (Array.isArray(value)) return answer(null, INVALID_REQUEST, "Invalid Request: batches (JSON arrays) are not supported; send one message per line");
  if (JSONRPCMessageSchema.safeParse(value).success) return null;
  const o = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  if (!("method" in o) && ("result" in o || "error" in o)) return "drop";
  const id = typeof o.id === "string" || typeof o.id === "number" ? o.id : null;
  return answer(id, INVALID_REQUEST, 'Invalid Request: not a JSON-RPC 2.0 message; a request needs "jsonrpc": "2.0", an "id" and a "method" string');
}

/**
 * `input` (newline-delimited JSON-RPC) with every line that screenLine refuses
 * taken out and its error handed to `reply`; `log` hears about dropped lines. A line
 * longer than `maxLineBytes` is dropped too (-32600). The result ends when `input` does.
 */
export function screenedInput(input: Readable, reply: (e: ErrorResponse) => void, log: (line: string) => void, maxLineBytes: number): Readable {
  const out = new Readable({ read() {} });
  let pending: Buffer[] = [];
  let size = 0;
  let skipping = false;
  const take = (line: Buffer) => {
    const verdict = screenLine(line.toString("utf8").replace(/\r$/, ""));
    if (verdict === null) out.push(Buffer.concat([line, Buffer.from("\n")]));
    else if (verdict === "drop") {
      if (line.some((b) => b > 32)) log("dropped a malformed JSON-RPC response");
    }
    else reply(verdict);
  };
  input.on("data", (chunk: Buffer | string) => {
    let buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10)) {
      const part = buf.subarray(0, nl);
      buf = buf.subarray(nl + 1);
      if (skipping) skipping = false;
      else take(pending.length === 0 ? part : Buffer.concat([...pending, part]));
      pending = [];
      size = 0;
    }
    if (skipping || buf.length === 0) return;
    pending.push(buf);
    size += buf.length;
    if (size > maxLineBytes) {
      reply(answer(null, INVALID_REQUEST, `Invalid Request: a line over ${maxLineBytes} bytes was dropped`));
      pending = [];
      size = 0;
      skipping = true;
    }
  });
  input.on("end", () => out.push(null));
  input.on("error", (err) => out.destroy(err));
  return out;
}

/** A schema failure (zod, inside the SDK) as the one line that names the first bad field. */
function issueLine(err: { issues: Array<{ path?: PropertyKey[]; message?: string }> }): string {
  const [first, ...rest] = err.issues;
  const path = (first?.path ?? []).map(String).join(".");
  return `${path === "" ? "" : `${path}: `}${first?.message ?? "invalid"}${rest.length > 0 ? ` (and ${rest.length} more)` : ""}`;
}

/**
 * Makes every request handler of `server` (register them first) answer params that
 * fail the SDK's schema with -32602 and one line, e.g.
 * `Invalid params for tools/call: params.name: Invalid input: expected string, received number`.
 * Reaches into the SDK's handler table (Protocol._requestHandlers, SDK 1.x): tests/mcp/jsonrpc.test.ts notices if it moves.
 */
export function oneLineParamErrors(server: Server): void {
  const handlers = (server as unknown as { _requestHandlers?: Map<string, (req: unknown, extra: unknown) => Promise<unknown>> })._requestHandlers;
  if (!(handlers instanceof Map)) throw new Error("the MCP SDK no longer keeps _requestHandlers: update src/mcp/jsonrpc.ts");
  for (const [method, handler] of handlers) {
    handlers.set(method, async (req, extra) => {
      try {
        return await handler(req, extra);
      } catch (err) {
        const e = err as { name?: unknown; issues?: unknown; code?: unknown; message?: unknown };
        if (typeof e?.name === "string" && /ZodError$/.test(e.name) && Array.isArray(e.issues)) {
          throw Object.assign(new Error(`Invalid params for ${method}: ${issueLine(e as never)}`), { code: INVALID_PARAMS });
        }
        if (e?.code === INVALID_PARAMS && typeof e.message === "string" && e.message.includes("\n")) {
          throw Object.assign(new Error(`Invalid params for ${method}: ${e.message.replace(/\s+/g, " ").slice(0, 300)}`), { code: INVALID_PARAMS });
        }
        throw err;
      }
    });
  }
}
