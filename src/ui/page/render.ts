/**
 * DOM building for the dashboard. Every piece of text from the broker (names,
 * content, file and command output) goes in as a text node, never as HTML:
 * an agent's message cannot add markup or script to the page.
 */
import type { Message } from "../../protocol/message.ts";
import type { UiMessage, UiState } from "../schemas.ts";
import { clock, when } from "./format.ts";
import type { V } from "./rows.ts";

export { ago, clock, when } from "./format.ts";

type Child = Node | string | null | undefined | false;

/** An element with attributes (strings only) and children (text nodes for strings). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(typeof c === "string" ? document.createTextNode(c) : c);
  return e;
}

/** The elements and text nodes of a row tree (rows.ts). */
export function dom(v: V): HTMLElement {
  const e = document.createElement(v.tag);
  for (const [k, x] of Object.entries(v.attrs)) e.setAttribute(k, x);
  for (const c of v.children) e.append(typeof c === "string" ? document.createTextNode(c) : dom(c));
  return e;
}

/** An SVG element with attributes (strings only) and children (text nodes for strings). */
export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(typeof c === "string" ? document.createTextNode(c) : c);
  return e;
}

/**
 * `text` with every case-insensitive occurrence of `words` in a `<mark>`: a
 * fragment of text nodes and marks (never HTML).
 */
export function highlighted(text: string, words: readonly string[]): DocumentFragment {
  const f = document.createDocumentFragment();
  const ws = words.map((w) => w.toLowerCase()).filter((w) => w.length > 0);
  if (ws.length === 0) {
    f.append(text);
    return f;
  }
  const lower = text.toLowerCase();
  let at = 0;
  for (let guard = 0; guard < 10_000 && at < text.length; guard++) {
    let best = -1;
    let len = 0;
    for (const w of ws) {
      const i = lower.indexOf(w, at);
      if (i !== -1 && (best === -1 || i < best || (i === best && w.length > len))) {
        best = i;
        len = w.length;
      }
    }
    if (best === -1) break;
    if (best > at) f.append(text.slice(at, best));
    f.append(el("mark", {}, text.slice(best, best + len)));
    at = best + len;
  }
  if (at < text.length) f.append(text.slice(at));
  return f;
}

/** A message's delivery state as a short label and a longer explanation. */
export function stateText(m: UiState & { read_at?: string; kind?: string }): { label: string; title: string } {
  if (m.reach !== undefined) {
    const { read, total, unread_by } = m.reach;
    const broadcast = m.kind === "broadcast";
    if (total === 0) {
      return broadcast
        ? { label: "sent · nobody else registered", title: "no other agent was registered when it was sent" }
        : { label: "posted · no other members", title: "nobody else is in the channel yet" };
    }
    const left = unread_by.length > 0 ? `; unread: ${unread_by.join(", ")}${total - read > unread_by.length ? ", …" : ""}` : "";
    return { label: `read by ${read}/${total}`, title: `${read} of ${total} ${broadcast ? "recipients" : "members"} read their copy${left}` };
  }
  const how =
    m.via === "woken" ? "woken into the model's turn" : m.via === "reader" ? "to a waiting reader" : m.via === "live" ? "to a live process, unread" : "";
  if (m.state === "read") {
    const at = m.read_at !== undefined ? clock(m.read_at) : "";
    return { label: `✓ read ${at}`.trim(), title: `read ${m.read_at ?? ""}${how ? ` · delivered ${how}` : ""}` };
  }
  if (m.state === "delivered") return { label: `◐ delivered · ${how || "unread"}`, title: `delivered ${how}, not read yet` };
  return { label: "◌ queued", title: "stored; nobody has taken it yet (the recipient reads it at its next check or wake)" };
}

/** The state chip of a message (replaced in place as the state changes). */
export function stateChip(m: UiState & { read_at?: string; kind?: string }): HTMLElement {
  const t = stateText(m);
  return el("span", { class: `state s-${m.reach !== undefined ? (m.reach.read === m.reach.total ? "read" : m.state) : m.state}`, title: t.title, "data-state": m.state }, t.label);
}

function str(x: unknown): string | null {
  return typeof x === "string" ? x : null;
}

/** A collapsible monospace block. */
function block(summary: string, text: string, open = false): HTMLElement {
  const d = el("details", {}, el("summary", {}, summary), el("pre", {}, text));
  d.open = open;
  return d;
}

/** A button that loads message `m` whole and puts `show(whole)` in its place. */
function loader(label: string, m: Message, loadFull: (id: number) => Promise<Message>, show: (whole: Message) => Node): HTMLElement {
  const button = el("button", { type: "button", class: "more" }, label);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      button.replaceWith(show(await loadFull(m.id)));
    } catch (err) {
      button.textContent = `could not load it: ${(err as Error).message}`;
    }
  });
  return button;
}

/** What a message's `data` carries, readable: a shared file, command output, a large message, or raw JSON. */
function attachment(m: Message, loadFull: (id: number) => Promise<Message>): HTMLElement | null {
  const d = m.data;
  if (d === undefined) return null;
  if (d.summarised === true) {
    // Lists carry large data as a summary only: load it on demand.
    return loader(`load the attachment (${String(d.kb ?? "?")} KB)`, m, loadFull, (whole) => {
      const shown = whole.data?.summarised === true ? null : attachment(whole, loadFull);
      if (shown === null) return el("span", {}, "(nothing attached)");
      // Asked for: shown open.
      for (const d of shown instanceof HTMLDetailsElement ? [shown] : shown.querySelectorAll("details")) d.open = true;
      return shown;
    });
  }
  if (d.type === "file" && str(d.content) !== null) {
    const about = str(d.description) ? ` — ${d.description}` : "";
    return block(`file ${str(d.filepath) ?? ""}${about}`, str(d.content)!);
  }
  if (d.type === "command") {
    const exit = typeof d.returncode === "number" ? `(exit ${d.returncode}${d.timed_out === true ? ", timed out" : ""})` : "";
    const parts = el("div", {});
    parts.append(block(`stdout ${exit}`, str(d.stdout) ?? "", true));
    if (str(d.stderr)) parts.append(block("stderr", str(d.stderr)!));
    return parts;
  }
  if (str(d.large_message_file) !== null) {
    return loader(`load the whole message (${String(d.original_size_kb ?? "?")} KB)`, m, loadFull, (whole) => el("pre", {}, whole.content));
  }
  return block("data", JSON.stringify(d, null, 2));
}

/** One message as a list item: header (sender → recipient, reply link, id, time, state), text (search hits marked), attachment. */
export function messageItem(
  m: UiMessage,
  opts: { loadFull: (id: number) => Promise<Message>; jump: (id: number) => void; highlight?: readonly string[] },
): HTMLLIElement {
  const reply =
    m.reply_to !== undefined
      ? el("button", { type: "button", class: "reply", title: "show the message this replies to" }, `↳ reply to #${m.reply_to}`)
      : null;
  reply?.addEventListener("click", () => opts.jump(m.reply_to!));
  const to = m.kind === "broadcast" ? "everyone" : m.to;
  const broadcast = m.kind === "broadcast";
  const li = el(
    "li",
    { class: "msg", id: `m${m.id}`, "data-kind": m.kind },
    el(
      "header",
      {},
      el("span", { class: "from" }, m.from),
      el("span", {}, `→ ${to}`),
      broadcast ? el("span", { class: "kind" }, "broadcast") : null,
      reply,
      el("span", {}, `#${m.id}`),
      el("time", { datetime: m.created_at, title: m.created_at }, when(m.created_at)),
      stateChip(m),
    ),
    el("div", { class: "content" }, highlighted(m.content, opts.highlight ?? [])),
    m.partial === true && m.data?.large_message_file === undefined && m.content.endsWith("…")
      ? loader("load the whole message", m, opts.loadFull, (whole) => el("pre", {}, whole.content))
      : null,
    attachment(m, opts.loadFull),
  );
  return li;
}
