/**
 * The page as the server sends it. Its stylesheet is inlined (one request
 * before the first paint, not two). Opened with a login link
 * (`GET /?login=CODE`), the code is spent here and the page arrives with its
 * first screen already drawn — the agents, channels and conversations as
 * escaped HTML (html.ts, from the same row trees the page draws with,
 * page/rows.ts) — plus their data and the new session as JSON for the page's
 * script (schemas.ts UiFirstScreen), and a small inline script that takes the
 * spent code out of the address bar and marks `ipc:first-screen` once that
 * frame is drawn (read by bench/workloads/ui.ts). The inline style and script
 * are allowed by their SHA-256 in the page's CSP (CSP Level 3, "hash-source"),
 * nothing else inline is. A refused code gets the page with the reason in
 * its banner. Without a code the page is the same empty one as before: it
 * holds no data, the script loads everything with its session.
 */
import { createHash } from "node:crypto";
import type { Asset } from "./assets.ts";
import { csp } from "./guard.ts";
import { escapeHtml, jsonForScript, toHtml } from "./html.ts";
import { agentCount, agentRows, channelRows, conversationRow } from "./page/rows.ts";
import type { UiFirstScreen } from "./schemas.ts";

/**
 * The inline script of a page with its first screen drawn: takes the spent
 * code out of the address bar; once the frame is drawn, marks it; and starts
 * the page's script (`src`, fetched meanwhile by a modulepreload) once that
 * frame is on screen — its First Contentful Paint entry (W3C Paint Timing),
 * which the browser reports when the frame is presented — so the script's
 * work (the rest of the rows, the graph, the open conversation: ~65 ms of
 * CPU) does not compete with rasterising that frame. Half a second after the
 * mark at most; at the mark where Paint Timing is not supported.
 */
function markScript(src: string): string {
  return (
    `history.replaceState(null,"",location.pathname);` +
    `let started=false;const go=()=>{if(started)return;started=true;const s=document.createElement("script");s.type="module";s.src=${JSON.stringify(src)};document.head.append(s)};` +
    `const painted=typeof PerformanceObserver==="function"&&(PerformanceObserver.supportedEntryTypes??[]).includes("paint");` +
    `requestAnimationFrame(()=>setTimeout(()=>{performance.mark("ipc:first-screen");painted?setTimeout(go,500):go()}));` +
    `if(painted)new PerformanceObserver((l,o)=>{if(l.getEntriesByName("first-contentful-paint").length>0){o.disconnect();go()}}).observe({type:"paint",buffered:true})`
  );
}

/**
 * Rows drawn by the server: what a 1080p screen shows of each list (an agent
 * is a 22 px line, a conversation two). The page draws the rest of the data
 * it got once it runs, after the first paint.
 */
export const DRAWN = { agents: 40, conversations: 20 } as const;

const sha256 = (s: string) => createHash("sha256").update(s).digest("base64");

type Hole = "agents" | "agentCount" | "channels" | "channelCount" | "conversations" | "moreAgents" | "moreConversations" | "bannerHidden" | "banner" | "tail";

/** What a hole holds when the page has nothing to put there: a list button or the banner stays hidden. */
const EMPTY: Record<Hole, string> = {
  agents: "",
  agentCount: "",
  channels: "",
  channelCount: "",
  conversations: "",
  moreAgents: " hidden",
  moreConversations: " hidden",
  bannerHidden: " hidden",
  banner: "",
  tail: "",
};

/**
 * The page cut where the first screen goes, once (filling the holes is then
 * a join, not a search through 100 kB of HTML per request).
 * @throws Error when an element the first screen fills is missing (a build defect).
 */
function cut(html: string): { parts: string[]; holes: Hole[] } {
  const at: { hole: Hole; index: number; skip: number }[] = [];
  const find = (hole: Hole, re: RegExp, inside: "after" | "hidden") => {
    const m = re.exec(html);
    if (m === null) throw new Error(`the dashboard page lacks what ${re} finds (a build defect)`);
    if (inside === "after") at.push({ hole, index: m.index + m[0].length, skip: 0 });
    else at.push({ hole, index: m.index + m[0].length - " hidden>".length, skip: " hidden".length });
  };
  const empty = (id: string) => new RegExp(`<([a-z]+) id="${id}"[^>]*>(?=</\\1>)`);
  find("agents", empty("agents"), "after");
  find("agentCount", empty("agent-count"), "after");
  find("channels", empty("channels"), "after");
  find("channelCount", empty("channel-count"), "after");
  find("conversations", empty("conversations"), "after");
  find("moreAgents", /<button id="more-agents"[^>]* hidden>/, "hidden");
  find("moreConversations", /<button id="more-conversations"[^>]* hidden>/, "hidden");
  find("bannerHidden", /<p id="banner"[^>]* hidden>(?=<\/p>)/, "hidden");
  find("banner", /<p id="banner"[^>]* hidden>(?=<\/p>)/, "after");
  find("tail", /<\/main>/, "after");
  at.sort((x, y) => x.index - y.index);
  const parts: string[] = [];
  let from = 0;
  for (const a of at) {
    parts.push(html.slice(from, a.index));
    from = a.index + a.skip;
  }
  parts.push(html.slice(from));
  return { parts, holes: at.map((a) => a.hole) };
}

export class PageTemplate {
  /** The page without data (stylesheet inlined). */
  readonly plain: string;
  /** The CSP of both forms of the page. */
  readonly csp: string;
  private readonly mark: string;
  private readonly refusal: ReturnType<typeof cut>;
  /** The page whose script is preloaded but started by the inline script (markScript). */
  private readonly drawn: ReturnType<typeof cut>;

  /**
   * From the bundled page (`/` of `assets`) and its files.
   * @throws Error when the page lacks its stylesheet, its script or an element the first screen fills (a build defect).
   */
  constructor(assets: ReadonlyMap<string, Asset>) {
    let html = new TextDecoder().decode(assets.get("/")!.body);
    const link = /<link rel="stylesheet"[^>]*href="(\/[^"]+\.css)"[^>]*>/.exec(html);
    const sheet = link === null ? undefined : assets.get(link[1]!);
    if (link === null || sheet === undefined) throw new Error("the dashboard page has no bundled stylesheet (a build defect)");
    const css = new TextDecoder().decode(sheet.body);
    if (css.includes("</")) throw new Error("the dashboard's stylesheet cannot be inlined: it holds `</`");
    html = html.replace(link[0], () => `<style>${css}</style>`);
    this.plain = html;
    const script = /<script type="module"[^>]*src="(\/[^"]+\.js)"[^>]*><\/script>/.exec(html);
    if (script === null) throw new Error("the dashboard page has no bundled script (a build defect)");
    this.refusal = cut(html);
    // Rendering waits for the whole first screen (HTML Living Standard, `blocking="render"` on `rel=expect`):
    // one frame with all of it, not a frame per slice the parser yields.
    this.drawn = cut(html.replace(script[0], () => `<link rel="modulepreload" crossorigin href="${script[1]}"><link rel="expect" href="#first-screen" blocking="render">`));
    this.mark = markScript(script[1]!);
    this.csp = csp([sha256(this.mark)], [sha256(css)]);
  }

  /** The page with the first screen of `data` drawn (or the reason in its banner), at `now` (ms). */
  render(data: UiFirstScreen, now = Date.now()): string {
    const fill: Record<Hole, string> = { ...EMPTY };
    const json = `<script type="application/json" id="first-screen">${jsonForScript(data)}</script>`;
    if ("error" in data) {
      fill.bannerHidden = "";
      fill.banner = escapeHtml(data.error);
      fill.tail = json;
    } else {
      const agents = data.agents.items;
      const total = data.agents.total ?? agents.length;
      fill.agents = agentRows(agents, now, DRAWN.agents).map(toHtml).join("");
      fill.agentCount = escapeHtml(agentCount(agents, total));
      fill.channels = channelRows(data.channels, null).map(toHtml).join("");
      fill.channelCount = data.channels.length > 0 ? `(${data.channels.length})` : "";
      fill.conversations = data.conversations.items.slice(0, DRAWN.conversations).map((c, i) => toHtml(conversationRow(c, false, i === 0))).join("");
      if (total > agents.length) fill.moreAgents = "";
      if (data.conversations.more === true) fill.moreConversations = "";
      fill.tail = `${json}<script>${this.mark}</script>`;
    }
    const { parts, holes } = "error" in data ? this.refusal : this.drawn;
    let out = parts[0]!;
    for (let i = 0; i < holes.length; i++) out += fill[holes[i]!] + parts[i + 1]!;
    return out;
  }
}
