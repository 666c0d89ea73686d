/**
 * The browser dashboard, inside the broker process, started by the first `ui`
 * request: a capped TCP front on 127.0.0.1 only (IPC_UI_PORT, default 9877;
 * front.ts) relaying to `Bun.serve` on a private Unix socket. Every request
 * passes the Guard (Host, Origin, session) and gets the security headers; the
 * page's files come from the HTML bundle (assets.ts); `/api/live` is a
 * WebSocket fed by the broker's message observers (no polling). Replies and
 * pushes are bounded and counted in the broker's shared output budget (see
 * api.ts and output.ts).
 *
 * Routes: GET / (page; `?login=CODE`: with its first screen drawn, first-screen.ts) · POST /api/login {code} → {session} · POST /api/logout ·
 * GET /api/agents?offset&limit · GET /api/channels · GET /api/claims ·
 * GET /api/graph · GET /api/activity · GET /api/conversations?offset&limit ·
 * GET /api/conversation?a&b&before&limit · GET /api/message/ID ·
 * GET /api/search?q&limit · POST /api/send {as,to,content,reply_to?} ·
 * POST /api/release {as,holder,project,path} · GET /api/live (WebSocket).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server } from "bun";
import * as v from "valibot";
import type { Broker } from "../broker/broker.ts";
import { dashboardConnections, raiseFdLimit } from "../broker/edge/fd-limit.ts";
import { log } from "../broker/log.ts";
import { IpcError } from "../protocol/errors.ts";
import { listen } from "../broker/delivery/events.ts";
import type { MessageRow } from "../store/messages.ts";
import * as api from "./api.ts";
import { type Asset, loadAssets } from "./assets.ts";
import { PageTemplate } from "./first-screen.ts";
import { type Front, startFront } from "./front.ts";
import { clearOldCookie, DRAWN_PAGE_HEADERS, Guard, LOGIN_CODE_TTL_S, OLD_COOKIE, SECURITY_HEADERS, WS_PROTOCOL } from "./guard.ts";
import { countedBody, LiveSockets } from "./output.ts";
import { Memory } from "./live.ts";
import { People } from "./people.ts";
import { Queries } from "./queries.ts";
import { type UiEvent, type UiFirstScreen, type UiLoggedIn, UiLogin } from "./schemas.ts";
import * as views from "./views.ts";

/** Largest request body the dashboard reads (bytes): a post's content plus room. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;

/** A running dashboard. */
export interface Dashboard {
  readonly port: number;
  /** A one-time login link: `http://127.0.0.1:PORT/?login=CODE` (the page arrives with its first screen drawn). */
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

const JSON_HEADERS = { ...SECURITY_HEADERS, "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };

function json(body: unknown, status = 200, extra: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...extra } });
}

function refuse(status: number, message: string, extra: Record<string, string> = {}): Response {
  const code = status === 401 ? "UNAUTHENTICATED" : status === 429 ? "RATE_LIMITED" : "FORBIDDEN";
  return json({ ok: false, error: { code, message } }, status, extra);
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
  const template = new PageTemplate(assets);
  const queries = new Queries(b.db);
  const people = new People(b.db);
  const live = new LiveSockets(b);
  const push = (e: UiEvent): void => {
    if (live.size > 0) live.push(JSON.stringify(e));
  };
  const memory = new Memory(
    b,
    push,
    (id) => {
      const r = queries.one(id);
      return r === null ? null : views.stateOf(b, queries, memory, r);
    },
    () => live.size > 0,
    (copy) => queries.broadcastCopies(copy, views.MAX_MEMBERS)[0]?.id ?? null,
  );
  const ctx: api.Ctx = { b, queries, memory, people };
  let guard!: Guard;

  // Stored messages (only while a page is open): a channel post shows once, as its record (the `posted` event), never as its copies.
  const observer = (row: MessageRow): void => {
    if (memory.stored(row) === "show") push({ type: "message", message: api.shown(ctx, api.boundRow(row)) });
  };
  // Broker events (from the start: how messages were delivered is known only as it happens).
  const unlisten = listen(b, (e) => {
    if (e.type === "posted" && live.size > 0) {
      const r = queries.one(e.id);
      if (r !== null) push({ type: "message", message: api.shown(ctx, r) });
    }
    memory.event(e);
  });
  /** A JSON reply of the API, counted in the shared output budget until sent. */
  const reply = (value: unknown): Response => new Response(countedBody(b, JSON.stringify(value)), { headers: JSON_HEADERS });

  const route = async (req: Request, server: Server<unknown>): Promise<Response | undefined> => {
    const why = guard.refusal(req);
    if (why !== null) return refuse(403, why);
    const url = new URL(req.url);
    const path = url.pathname;
    if (req.method === "GET" && (path === "/" || path === "/index.html")) return page(req, url.searchParams.get("login"));
    if (req.method === "GET" && !path.startsWith("/api/")) {
      const asset = assets.get(path);
      if (asset === undefined) return refuse(404, "not found");
      return static_(asset);
    }
    if (path === "/api/login" && req.method === "POST") {
      const parsed = v.safeParse(UiLogin, await body(req).catch(() => null));
      const r = parsed.success ? guard.redeem(parsed.output.code) : ({ refused: true } as const);
      if (!("session" in r)) return refuse(...loginRefusal(r));
      return json({ ok: true, session: r.session } satisfies UiLoggedIn, 200, oldCookie(req));
    }
    if (!guard.loggedIn(req)) return refuse(401, "not logged in: open the link `ipc ui` prints");
    const q = url.searchParams;
    try {
      switch (`${req.method} ${path}`) {
        case "POST /api/logout":
          guard.logout(req);
          return json({ ok: true });
        case "GET /api/live":
          return server.upgrade(req, { data: null, headers: { "sec-websocket-protocol": WS_PROTOCOL } })
            ? undefined
            : refuse(400, "expected a WebSocket upgrade");
        case "GET /api/agents":
          return reply(views.agents(b, people, memory, api.offsetOf(q.get("offset")), api.pageSize(q.get("limit"), api.MAX_PAGE)));
        case "GET /api/channels":
          return reply({ items: views.channels(b, queries, (r) => api.shown(ctx, r, 512)) });
        case "GET /api/claims":
          return reply({ items: views.claims(b) });
        case "GET /api/graph":
          return reply(views.graph(b, queries));
        case "GET /api/activity":
          return reply({ items: memory.activity });
        case "GET /api/conversations":
          return reply(api.conversations(ctx, api.offsetOf(q.get("offset")), api.pageSize(q.get("limit"), 50)));
        case "GET /api/conversation": {
          const before = api.offsetOf(q.get("before")) || undefined;
          return reply(api.conversation(ctx, q.get("a") ?? "", q.get("b") ?? "", api.pageSize(q.get("limit"), 100), before));
        }
        case "GET /api/search":
          return reply(api.search(ctx, q.get("q") ?? "", api.pageSize(q.get("limit"), 50)));
        case "POST /api/send":
          return json({ ok: true, ...(await api.post(b, people, await body(req))) });
        case "POST /api/release":
          return json({ ok: true, ...(await api.releaseClaim(b, people, await body(req))) });
      }
      const one = /^\/api\/message\/(\d+)$/.exec(path);
      if (one !== null && req.method === "GET") return reply({ message: api.message(b, Number(one[1])) });
      return refuse(404, "not found");
    } catch (err) {
      return failure(err);
    }
  };

  /** The page: empty without a login code; with one, the code spent and the first screen drawn in (or the refusal in its banner). */
  const page = (req: Request, code: string | null): Response => {
    const html = { "content-security-policy": template.csp, "content-type": "text/html;charset=utf-8" };
    const headers = { ...SECURITY_HEADERS, ...html };
    if (code === null) return new Response(template.plain, { headers: { ...headers, "cache-control": "no-cache" } });
    const nocache = { ...headers, "cache-control": "no-store" };
    const parsed = v.safeParse(UiLogin, { code });
    const r = parsed.success ? guard.redeem(parsed.output.code) : ({ refused: true } as const);
    if (!("session" in r)) {
      const [status, error, extra] = loginRefusal(r);
      return new Response(template.render({ error }), { status, headers: { ...nocache, ...extra } });
    }
    let data: UiFirstScreen;
    try {
      data = {
        session: r.session,
        agents: views.agents(b, people, memory, 0, api.MAX_PAGE),
        channels: views.channels(b, queries, (row) => api.shown(ctx, row, 512)),
        conversations: api.conversations(ctx, 0, 50),
      };
    } catch (err) {
      // The session stands; the page's script loads the lists itself.
      if (!(err instanceof IpcError)) log.error(`dashboard first screen: ${(err as Error)?.stack ?? String(err)}`);
      data = { session: r.session, error: `Could not draw the first screen: ${(err as Error).message}` };
    }
    // Without Cross-Origin-Opener-Policy: no other site's window can hold this page (guard.ts DRAWN_PAGE_HEADERS).
    const drawn = { ...DRAWN_PAGE_HEADERS, ...html, "cache-control": "no-store" };
    return new Response(countedBody(b, template.render(data)), { headers: { ...drawn, ...oldCookie(req) } });
  };

  const dir = mkdtempSync(join(tmpdir(), "ipc-ui-"));
  const unix = join(dir, "http.sock");
  const server = Bun.serve({
    unix,
    development: false,
    maxRequestBodySize: MAX_BODY_BYTES,
    fetch: (req, srv) => route(req, srv).catch(failure),
    websocket: {
      backpressureLimit: LiveSockets.MAX_BUFFERED,
      closeOnBackpressureLimit: true,
      open(ws) {
        live.add(ws);
        if (live.size === 1) b.observers.add(observer);
      },
      drain(ws) {
        live.drained(ws);
      },
      close(ws) {
        live.remove(ws);
        if (live.size === 0) b.observers.delete(observer);
      },
      message() {
        // The page only listens.
      },
    },
    error: failure,
  });
  let front: Front;
  try {
    front = startFront("127.0.0.1", b.config.ui.port, unix, dashboardConnections(raiseFdLimit()));
  } catch (err) {
    server.stop(true);
    rmSync(dir, { recursive: true, force: true });
    throw new IpcError(
      "CONFLICT",
      `the dashboard cannot listen on 127.0.0.1:${b.config.ui.port} (${(err as Error).message}): choose another port with IPC_UI_PORT`,
    );
  }
  const port = front.port;
  guard = new Guard(port);
  log.info(`dashboard on http://127.0.0.1:${port}/`);
  return {
    port,
    login: () => ({ url: `http://127.0.0.1:${port}/?login=${guard.issueCode()}`, port, expires_in_s: LOGIN_CODE_TTL_S }),
    stop: () => {
      unlisten();
      b.observers.delete(observer);
      live.closeAll();
      front.stop();
      server.stop(true);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Status, message and headers for a login code that was not taken. */
function loginRefusal(r: { refused: true } | { wait: number }): [number, string, Record<string, string>] {
  if ("wait" in r) {
    const s = Math.ceil(r.wait / 1000);
    return [429, `too many failed logins on this dashboard: try again in ${s} s (the link stays valid until it expires)`, { "retry-after": String(s) }];
  }
  return [401, "this login link is unknown, used or expired: run `ipc ui` for a new one", {}];
}

/** A header deleting the cookie earlier versions set, when `req` still carries it. */
function oldCookie(req: Request): Record<string, string> {
  return (req.headers.get("cookie") ?? "").includes(`${OLD_COOKIE}=`) ? { "set-cookie": clearOldCookie() } : {};
}

function static_(asset: Asset): Response {
  return new Response(asset.body, { headers: { ...SECURITY_HEADERS, "content-type": asset.type, "cache-control": "no-cache" } });
}
