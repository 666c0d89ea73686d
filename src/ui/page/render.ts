/**
 * DOM building for the dashboard. Every piece of text from the broker (names,
 * content, file and command output) goes in as a text node, never as HTML:
 * an agent's message cannot add markup or script to the page.
 */
import type { Message } from "../../protocol/message.ts";

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

/** "14:03" today, else "3 Dec 14:03". */
export function when(isoTime: string): string {
  const d = new Date(isoTime);
  const time = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return d.toDateString() === new Date().toDateString() ? time : `${d.toLocaleDateString([], { day: "numeric", month: "short" })} ${time}`;
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

/** One message as a list item: header (id, sender → recipient, kind, reply link, time), text, attachment. */
export function messageItem(m: Message & { partial?: true }, opts: { loadFull: (id: number) => Promise<Message>; jump: (id: number) => void }): HTMLLIElement {
  const reply =
    m.reply_to !== undefined
      ? el("button", { type: "button", class: "reply", title: "show the message this replies to" }, `↳ reply to #${m.reply_to}`)
      : null;
  reply?.addEventListener("click", () => opts.jump(m.reply_to!));
  const to = m.kind === "broadcast" ? "everyone" : m.to;
  const li = el(
    "li",
    { class: "msg", id: `m${m.id}` },
    el(
      "header",
      {},
      el("span", { class: "from" }, m.from),
      el("span", {}, `→ ${to}`),
      m.kind === "direct" ? null : el("span", { class: "kind" }, m.kind),
      reply,
      el("span", {}, `#${m.id}`),
      el("time", { datetime: m.created_at, title: m.created_at }, when(m.created_at)),
      m.read_at !== undefined ? el("span", { title: `read ${m.read_at}` }, "✓ read") : null,
    ),
    el("div", { class: "content" }, m.content),
    m.partial === true && m.data?.large_message_file === undefined && m.content.endsWith("…")
      ? loader("load the whole message", m, opts.loadFull, (whole) => el("pre", {}, whole.content))
      : null,
    attachment(m, opts.loadFull),
  );
  return li;
}
