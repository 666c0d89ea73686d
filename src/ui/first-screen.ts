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
 * code out of the address bar; once the frame is drawn, marks it and starts
 * the page's script (`src`, fetched meanwhile by a modulepreload), so its
 * work comes after the first paint, not before it.
 */
function markScript(src: string): string {
  return `history.replaceState(null,"",location.pathname);requestAnimationFrame(()=>setTimeout(()=>{performance.mark("ipc:first-screen");const s=document.createElement("script");s.type="module";s.src=${JSON.stringify(src)};document.head.append(s)}))`;
}

/**
 * Rows drawn by the server: what a tall screen shows of each list (an agent
 * is a 22 px line, a conversation two). The page draws the rest of the data
 * it got once it runs, after the first paint.
 */
export const DRAWN = { agents: 60, conversations: 30 } as const;

const sha256 = (s: string) => createHash("sha256").update(s).digest("base64");

/** The element with `id="id"` and no content in the bundled page: its opening tag, and its tag name. */
function emptyElement(html: string, id: string): RegExp {
  const re = new RegExp(`(<([a-z]+) id="${id}"[^>]*>)(</\\2>)`);
  if (!re.test(html)) throw new Error(`the dashboard page has no empty element #${id} (a build defect)`);
  return re;
}

export class PageTemplate {
  /** The page without data (stylesheet inlined). */
  readonly plain: string;
  /** The same, its script preloaded but started by the inline script (markScript). */
  private readonly drawn: string;
  private readonly mark: string;
  /** The CSP of both forms of the page. */
  readonly csp: string;
  private readonly slots: Record<"agents" | "agentCount" | "channels" | "channelCount" | "conversations" | "banner", RegExp>;

  /**
   * From the bundled page (`/` of `assets`) and its files.
   * @throws Error when the page lacks its stylesheet or an element the first screen fills (a build defect).
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
    this.drawn = html.replace(script[0], () => `<link rel="modulepreload" crossorigin href="${script[1]}">`);
    this.mark = markScript(script[1]!);
    this.csp = csp([sha256(this.mark)], [sha256(css)]);
    this.slots = {
      agents: emptyElement(html, "agents"),
      agentCount: emptyElement(html, "agent-count"),
      channels: emptyElement(html, "channels"),
      channelCount: emptyElement(html, "channel-count"),
      conversations: emptyElement(html, "conversations"),
      banner: /<p id="banner"([^>]*) hidden><\/p>/,
    };
    if (!this.slots.banner.test(html) || !html.includes("</main>")) throw new Error("the dashboard page has no banner or no <main> (a build defect)");
  }

  /** The page with the first screen of `data` drawn (or its refusal in the banner), at `now` (ms). */
  render(data: UiFirstScreen, now = Date.now()): string {
    let html = "error" in data ? this.plain : this.drawn;
    const fill = (slot: RegExp, inner: string) => {
      html = html.replace(slot, (_m, open: string, _tag: string, close: string) => open + inner + close);
    };
    if ("error" in data) {
      html = html.replace(this.slots.banner, (_m, attrs: string) => `<p id="banner"${attrs}>${escapeHtml(data.error)}</p>`);
    } else {
      const agents = data.agents.items;
      const total = data.agents.total ?? agents.length;
      fill(this.slots.agents, agentRows(agents, now, DRAWN.agents).map(toHtml).join(""));
      fill(this.slots.agentCount, escapeHtml(agentCount(agents, total)));
      fill(this.slots.channels, channelRows(data.channels, null).map(toHtml).join(""));
      fill(this.slots.channelCount, data.channels.length > 0 ? `(${data.channels.length})` : "");
      fill(this.slots.conversations, data.conversations.items.slice(0, DRAWN.conversations).map((c) => toHtml(conversationRow(c, false))).join(""));
      if (total > agents.length) html = html.replace(/(<button id="more-agents"[^>]*?) hidden>/, "$1>");
      if (data.conversations.more === true) html = html.replace(/(<button id="more-conversations"[^>]*?) hidden>/, "$1>");
    }
    const tail = `<script type="application/json" id="first-screen">${jsonForScript(data)}</script>${"error" in data ? "" : `<script>${this.mark}</script>`}`;
    return html.replace("</main>", () => `</main>${tail}`);
  }
}
