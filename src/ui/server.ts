/**
 * The browser dashboard: `Bun.serve` on 127.0.0.1 only (IPC_UI_PORT, default
 * 9877), inside the broker process, started by the first `ui` request. Every
 * request passes the Guard (Host, Origin, session cookie) and gets the
 * security headers; the page's files come from the HTML bundle (assets.ts);
 * `/api/live` is a WebSocket fed by the broker's message observers (no polling).
 *
 * Routes: GET / (page) · POST /api/login {code} · POST /api/logout ·
 * GET /api/agents?offset&limit · GET /api/conversations?offset&limit ·
 * GET /api/conversation?a&b&before&limit · GET /api/message/ID ·
 * GET /api/search?q&limit · POST /api/send {as,to,content,reply_to?} · GET /api/live (WebSocket).
 */
import type { Server, ServerWebSocket } from "bun";
import * as v from "valibot";
import type { Broker } from "../broker/broker.ts";
import { log } from "../broker/log.ts";
import { IpcError } from "../protocol/errors.ts";
import type { MessageRow } from "../store/messages.ts";
import { Overview } from "../store/overview.ts";
import * as api from "./api.ts";
import { type Asset, loadAssets } from "./assets.ts";
import { Guard, LOGIN_CODE_TTL_S, SECURITY_HEADERS, sessionCookie } from "./guard.ts";
import { type UiEvent, UiLogin } from "./schemas.ts";

/** Largest request body the dashboard reads (bytes): a post's content plus room. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;

/** A running dashboard. */
export interface Dashboard {
  readonly port: number;
  /** A one-time login link: `http://127.0.0.1:PORT/#login=CODE`. */
  login(): { url: string; port: number; expires_in_s: number };
  stop(): void;
}

/** HTTP status for each error code the API can raise. */
const STATUS: Partial<Record<string, number>> = {
  BAD_REQUEST: 400,
  INVALID_NAME: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INBOX_FULL: 409,
};

function json(body: unknown, status = 200, extra: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...SECURITY_HEADERS, "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...extra },
  });
}

function refuse(status: number, message: string): Response {
  return json({ ok: false, error: { code: status === 401 ? "UNAUTHENTICATED" : "FORBIDDEN", message } }, status);
}

function failure(err: unknown): Response {
  if (err instanceof IpcError) return json({ ok: false, error: err.toBody() }, STATUS[err.code] ?? 500);
  log.error(`dashboard: ${(err as Error)?.stack ?? String(err)}`);
  return json({ ok: false, error: { code: "INTERNAL", message: "internal error; see broker.log" } }, 500);
}

/** Reads a JSON body of at most MAX_BODY_BYTES. @throws IpcError TOO_LARGE / BAD_REQUEST. */
async function body(req: Request): Promise<unknown> {
  const text = await req.text();
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw new IpcError("TOO_LARGE", `a request body may be at most ${MAX_BODY_BYTES} bytes`);
  try {
    return JSON.parse(text);
  } catch {
    throw new IpcError("BAD_REQUEST", "the body must be JSON");
  }
}

/**
 * Starts the dashboard for `b` on 127.0.0.1:`b.config.ui.port`.
 * @throws IpcError CONFLICT when the port is taken (names IPC_UI_PORT).
 */
export async function startDashboard(b: Broker): Promise<Dashboard> {
  const assets = await loadAssets();
  const overview = new Overview(b.db);
  const sockets = new Set<ServerWebSocket<unknown>>();
  let guard!: Guard;

  const observer = (row: MessageRow): void => {
    const frame = JSON.stringify({ type: "message", message: api.present(row) } satisfies UiEvent);
    for (const ws of sockets) ws.send(frame);
  };

  const route = async (req: Request, server: Server<unknown>): Promise<Response | undefined> => {
    const why = guard.refusal(req);
    if (why !== null) return refuse(403, why);
    const url = new URL(req.url);
    const path = url.pathname;
    if (req.method === "GET" && !path.startsWith("/api/")) {
      const asset = assets.get(path === "/index.html" ? "/" : path);
      if (asset === undefined) return refuse(404, "not found");
      return static_(asset);
    }
    if (path === "/api/login" && req.method === "POST") {
      const parsed = v.safeParse(UiLogin, await body(req).catch(() => null));
      const sid = parsed.success ? guard.redeem(parsed.output.code) : null;
      if (sid === null) return refuse(401, "this login link is unknown, used or expired: run `ipc ui` for a new one");
      return json({ ok: true }, 200, { "set-cookie": sessionCookie(sid) });
    }
    if (!guard.loggedIn(req)) return refuse(401, "not logged in: open the link `ipc ui` prints");
    const q = url.searchParams;
    try {
      switch (`${req.method} ${path}`) {
        case "POST /api/logout":
          guard.logout(req);
          return json({ ok: true });
        case "GET /api/live":
          return server.upgrade(req, { data: null }) ? undefined : refuse(400, "expected a WebSocket upgrade");
        case "GET /api/agents":
          return json(api.agents(b, api.offsetOf(q.get("offset")), api.pageSize(q.get("limit"), 100)));
        case "GET /api/conversations":
          return json(api.conversations(b, overview, api.offsetOf(q.get("offset")), api.pageSize(q.get("limit"), 50)));
        case "GET /api/conversation": {
          const before = api.offsetOf(q.get("before")) || undefined;
          return json(api.conversation(overview, q.get("a") ?? "", q.get("b") ?? "", api.pageSize(q.get("limit"), 100), before));
        }
        case "GET /api/search":
          return json(api.search(b, q.get("q") ?? "", api.pageSize(q.get("limit"), 50)));
        case "POST /api/send":
          return json({ ok: true, ...(await api.post(b, await body(req))) });
      }
      const one = /^\/api\/message\/(\d+)$/.exec(path);
      if (one !== null && req.method === "GET") return json({ message: api.message(b, Number(one[1])) });
      return refuse(404, "not found");
    } catch (err) {
      return failure(err);
    }
  };

  let server: Server<unknown>;
  try {
    server = Bun.serve({
      hostname: "127.0.0.1",
      port: b.config.ui.port,
      development: false,
      maxRequestBodySize: MAX_BODY_BYTES,
      fetch: (req, srv) => route(req, srv).catch(failure),
      websocket: {
        open(ws) {
          sockets.add(ws);
          if (sockets.size === 1) b.observers.add(observer);
        },
        close(ws) {
          sockets.delete(ws);
          if (sockets.size === 0) b.observers.delete(observer);
        },
        message() {
          // The page only listens.
        },
      },
      error: failure,
    });
  } catch (err) {
    throw new IpcError(
      "CONFLICT",
      `the dashboard cannot listen on 127.0.0.1:${b.config.ui.port} (${(err as Error).message}): choose another port with IPC_UI_PORT`,
    );
  }
  const port = server.port!;
  guard = new Guard(port);
  log.info(`dashboard on http://127.0.0.1:${port}/`);
  return {
    port,
    login: () => ({ url: `http://127.0.0.1:${port}/#login=${guard.issueCode()}`, port, expires_in_s: LOGIN_CODE_TTL_S }),
    stop: () => {
      b.observers.delete(observer);
      for (const ws of sockets) ws.close(1001, "broker stopping");
      server.stop(true);
    },
  };
}

function static_(asset: Asset): Response {
  return new Response(asset.body, { headers: { ...SECURITY_HEADERS, "content-type": asset.type, "cache-control": "no-cache" } });
}
