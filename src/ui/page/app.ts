/**
 * The dashboard page: logs in with the one-time code in the URL fragment,
 * then shows, without a click, the agents (one line each, by project), the
 * channels, the conversations, one conversation with each message's state,
 * the graph of who talks to whom, the file claims and an activity strip — all
 * kept current over the `/api/live` WebSocket. Posts as the person's own name.
 *
 * Keyboard: `/` search (as you type) · `j` / `k` next / previous
 * conversation · `↑` `↓` move within a list, Enter opens · `a` agents ·
 * `h` channels · `l` claims · `c` compose (`↑` `↓` Enter/Tab in the "to"
 * completion) · Ctrl+Enter send · `t` theme · Escape leaves a field or search.
 */
import type { Message } from "../../protocol/message.ts";
import type { Page, UiActivity, UiAgent, UiChannel, UiClaim, UiConversation, UiEvent, UiFirstScreen, UiGraph, UiLoggedIn, UiMessage, UiState } from "../schemas.ts";
import { type Choice, Completer } from "./complete.ts";
import { Graph } from "./graph.ts";
import { ago, clock, dom, el, messageItem, stateChip } from "./render.ts";
import { agentCount, agentRows, agentState, channelRows, conversationRow, EVERYONE, key, label, unreadBadge } from "./rows.ts";
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const ui = {
  agents: $<HTMLDivElement>("agents"),
  agentCount: $("agent-count"),
  moreAgents: $<HTMLButtonElement>("more-agents"),
  channels: $<HTMLUListElement>("channels"),
  channelCount: $("channel-count"),
  conversations: $<HTMLUListElement>("conversations"),
  moreConversations: $<HTMLButtonElement>("more-conversations"),
  title: $("title"),
  subtitle: $("subtitle"),
  messages: $<HTMLOListElement>("messages"),
  earlier: $<HTMLButtonElement>("earlier"),
  search: $<HTMLInputElement>("search"),
  as: $<HTMLInputElement>("as"),
  to: $<HTMLInputElement>("to"),
  completions: $<HTMLUListElement>("completions"),
  text: $<HTMLTextAreaElement>("text"),
  compose: $<HTMLFormElement>("compose"),
  sent: $("sent"),
  banner: $("banner"),
  live: $("live"),
  theme: $<HTMLButtonElement>("theme"),
  activity: $<HTMLOListElement>("activity"),
  claims: $<HTMLUListElement>("claims"),
  claimCount: $("claim-count"),
  claimStatus: $("claim-status"),
  graph: document.getElementById("graph") as unknown as SVGSVGElement,
};

type View = { kind: "conversation"; a: string; b: string; oldest: number } | { kind: "search"; query: string } | null;
/** What the main pane shows: one conversation, or search results. */
let view: View = null;
/** The conversation open before a search (Escape goes back to it). */
let beforeSearch: View = null;
let agentLimit = 200;
let conversationLimit = 50;
let agents: UiAgent[] = [];
let channels: UiChannel[] = [];
let conversations: UiConversation[] = [];
const graph = new Graph(ui.graph);
const completer = new Completer(ui.to, ui.completions, () => ui.text.focus());

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Where the page keeps its session secret: sessionStorage is per origin (so
 * per port) and per tab; the page sends it itself. Never a cookie: a browser
 * sends cookies to every port of 127.0.0.1.
 */
const SESSION_KEY = "ipc-session";

async function call<T>(path: string, init?: { method: string; body: unknown }): Promise<T> {
  const headers: Record<string, string> = init ? { "content-type": "application/json" } : {};
  const session = sessionStorage.getItem(SESSION_KEY);
  if (session !== null) headers["x-ipc-session"] = session;
  const res = await fetch(path, {
    method: init?.method ?? "GET",
    headers,
    body: init ? JSON.stringify(init.body) : undefined,
    credentials: "omit",
  });
  const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
  if (!res.ok) {
    const message = body.error?.message ?? `HTTP ${res.status}`;
    if (res.status === 401) {
      sessionStorage.removeItem(SESSION_KEY);
      showBanner(`Not logged in: ${message}`);
    } else if (res.status === 429 && path === "/api/login") showBanner(message);
    throw new HttpError(res.status, message);
  }
  return body as T;
}

function showBanner(text: string | null): void {
  ui.banner.hidden = text === null;
  ui.banner.textContent = text ?? "";
}

const q = (s: string) => encodeURIComponent(s);

/** The conversation a message belongs to: the broadcasts, its channel, or the pair. */
function conversationOf(m: Message): { a: string; b: string } {
  if (m.kind === "broadcast") return { a: EVERYONE, b: EVERYONE };
  if (m.channel !== undefined) return { a: m.channel, b: m.channel };
  return m.from < m.to ? { a: m.from, b: m.to } : { a: m.to, b: m.from };
}

/**
 * Replaces `list`'s rows with `rows`, keeping the keyboard where it was: when one of its rows had
 * the focus, the new row with the same `data-name` / `data-key` gets it back. A live reload
 * (an agent registering, a message read) would otherwise drop it to the page mid-navigation.
 */
function replaceRows(list: HTMLElement, rows: Node[]): void {
  const focused = document.activeElement;
  const held = focused instanceof HTMLElement && list.contains(focused) ? focused : null;
  const attr = held?.dataset.name !== undefined ? "data-name" : "data-key";
  const value = held?.getAttribute(attr) ?? null;
  list.replaceChildren(...rows);
  if (value !== null) list.querySelector<HTMLElement>(`[${attr}="${CSS.escape(value)}"]`)?.focus({ preventScroll: true });
}

// ---- agents ------------------------------------------------------------------------------

/** Agents, a page of 200 at a time up to `agentLimit` ("more agents" adds a page). */
async function loadAgents(): Promise<void> {
  let page = await call<Page<UiAgent>>("/api/agents?limit=200");
  const all = [...page.items];
  while (all.length < agentLimit && all.length < (page.total ?? 0) && page.items.length > 0) {
    page = await call<Page<UiAgent>>(`/api/agents?limit=200&offset=${all.length}`);
    all.push(...page.items);
  }
  agents = all;
  replaceRows(ui.agents, agentRows(agents, Date.now()).map(dom));
  agentsShown(page.total ?? agents.length);
}

/** What follows the agents being drawn (by the page, or by the server for the first screen). */
function agentsShown(total: number): void {
  ui.agentCount.textContent = agentCount(agents, total);
  ui.moreAgents.hidden = total <= agents.length;
  for (const a of agents) graph.online(a.name, a.online);
  refreshChoices();
}

function refreshChoices(): void {
  const choices: Choice[] = [
    ...agents.map((a) => ({ value: a.name, note: [a.kind, a.online ? "online" : "offline"].filter(Boolean).join(" · ") })),
    ...channels.map((c) => ({ value: c.name, note: `${c.members.length} members` })),
    { value: EVERYONE, note: "everyone" },
  ];
  completer.set(choices);
}

// ---- channels and conversations --------------------------------------------------------

async function loadChannels(): Promise<void> {
  channels = (await call<{ items: UiChannel[] }>("/api/channels")).items;
  renderChannels();
}

function renderChannels(): void {
  replaceRows(ui.channels, channelRows(channels, view?.kind === "conversation" ? view.a : null).map(dom));
  ui.channelCount.textContent = channels.length > 0 ? `(${channels.length})` : "";
  refreshChoices();
}

function renderConversations(): void {
  const current = view?.kind === "conversation" ? key(view.a, view.b) : null;
  replaceRows(ui.conversations, conversations.map((c, i) => dom(conversationRow(c, key(c.a, c.b) === current, i === 0))));
}

async function loadConversations(): Promise<void> {
  const page = await call<Page<UiConversation>>(`/api/conversations?limit=${conversationLimit}`);
  conversations = page.items;
  ui.moreConversations.hidden = page.more !== true;
  renderConversations();
}

// ---- one conversation, search ----------------------------------------------------------

const itemOptions = {
  loadFull: async (id: number) => (await call<{ message: Message }>(`/api/message/${id}`)).message,
  jump: (id: number) => void jumpTo(id),
};

async function openConversation(a: string, b: string): Promise<void> {
  const same = view?.kind === "conversation" && view.a === a && view.b === b;
  view = { kind: "conversation", a, b, oldest: 0 };
  ui.title.textContent = label({ a, b });
  // Another conversation's messages never stand under this title, even while it loads.
  if (!same) ui.messages.replaceChildren();
  const ch = a.startsWith("#") ? channels.find((c) => c.name === a) : undefined;
  ui.subtitle.textContent = ch ? `${ch.members.length} member${ch.members.length === 1 ? "" : "s"}: ${ch.members.join(", ")}` : "";
  const me = ui.as.value.toLowerCase();
  ui.to.value = a === EVERYONE ? EVERYONE : a.startsWith("#") ? a : a === me ? b : b === me ? a : b;
  // The rows stay (the first screen's may still be on their way to the screen): only which one is current changes.
  for (const list of [ui.conversations, ui.channels]) {
    for (const btn of list.querySelectorAll<HTMLElement>("button[data-key]")) btn.classList.toggle("current", btn.dataset.key === key(a, b));
  }
  const page = await call<Page<UiMessage>>(`/api/conversation?a=${q(a)}&b=${q(b)}&limit=100`);
  if (view?.kind !== "conversation" || view.a !== a || view.b !== b) return;
  // Messages that came live while the page was on its way (and are newer than it) stay.
  const newest = page.items.at(-1)?.id ?? 0;
  const arrived = [...ui.messages.querySelectorAll<HTMLLIElement>("li.msg")].filter((li) => li.dataset.conv === key(a, b) && Number(li.id.slice(1)) > newest);
  ui.messages.replaceChildren(...page.items.map((m) => messageItem(m, itemOptions)), ...arrived);
  view.oldest = page.items[0]?.id ?? 0;
  ui.earlier.hidden = page.more !== true;
  ui.messages.scrollTop = ui.messages.scrollHeight;
}

async function loadEarlier(): Promise<void> {
  if (view?.kind !== "conversation" || view.oldest === 0) return;
  const { a, b } = view;
  const page = await call<Page<UiMessage>>(`/api/conversation?a=${q(a)}&b=${q(b)}&limit=100&before=${view.oldest}`);
  ui.messages.prepend(...page.items.map((m) => messageItem(m, itemOptions)));
  view.oldest = page.items[0]?.id ?? view.oldest;
  ui.earlier.hidden = page.more !== true;
}

async function jumpTo(id: number): Promise<void> {
  let item = document.getElementById(`m${id}`);
  if (item === null) {
    const { message } = await call<{ message: UiMessage }>(`/api/message/${id}`);
    item = messageItem({ ...message, state: message.read_at !== undefined ? "read" : "queued" }, itemOptions);
    ui.messages.prepend(item);
  }
  item.scrollIntoView({ block: "center" });
  item.classList.add("flash");
  setTimeout(() => item.classList.remove("flash"), 1500);
}

let searchSeq = 0;
async function runSearch(query: string): Promise<void> {
  const seq = ++searchSeq;
  if (query.trim() === "") {
    if (view?.kind === "search") {
      view = null;
      ui.title.textContent = "Pick a conversation, or search";
      ui.messages.replaceChildren();
      if (beforeSearch?.kind === "conversation") void openConversation(beforeSearch.a, beforeSearch.b);
    }
    return;
  }
  if (view?.kind !== "search") beforeSearch = view;
  view = { kind: "search", query };
  renderConversations();
  const page = await call<Page<UiMessage>>(`/api/search?q=${q(query)}`);
  if (seq !== searchSeq) return; // a newer keystroke's search is on its way
  const words = query.split(/\s+/).filter((w) => w.length > 0);
  ui.title.textContent = `${page.items.length}${page.more ? "+" : ""} result${page.items.length === 1 ? "" : "s"} for “${query}”`;
  ui.subtitle.textContent = "";
  ui.earlier.hidden = true;
  ui.messages.replaceChildren(...page.items.map((m) => messageItem(m, { ...itemOptions, highlight: words })));
}

let searchTimer: ReturnType<typeof setTimeout> | undefined;
function searchSoon(): void {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => void runSearch(ui.search.value).catch(() => {}), 180);
}

// ---- graph, claims, activity -----------------------------------------------------------

async function loadGraph(): Promise<void> {
  graph.load(await call<UiGraph>("/api/graph"));
}

function claimRow(c: UiClaim): HTMLElement {
  const release = el("button", { type: "button", class: "release", title: `release ${c.holder}'s claim and tell ${c.holder}` }, "release");
  release.addEventListener("click", () => void releaseClaim(c, release));
  return el(
    "li",
    { "data-claim": `${c.project}\u0000${c.path}\u0000${c.holder}` },
    el("span", { class: "path" }, c.path, c.shared ? el("span", { class: "dim" }, " (shared)") : null),
    el("span", { class: "ends", "data-until": c.expires_at, title: `ends ${c.expires_at}` }, ago(Date.parse(c.expires_at) - Date.now())),
    release,
    el("span", { class: "meta" }, el("span", {}, `${c.holder}${c.holder_online ? "" : " (offline)"}`), el("span", { title: c.project }, ` · ${c.project_name}`)),
    c.reason ? el("span", { class: "reason" }, c.reason) : null,
  );
}

async function loadClaims(): Promise<void> {
  const items = (await call<{ items: UiClaim[] }>("/api/claims")).items;
  ui.claims.replaceChildren(...items.map(claimRow));
  if (items.length === 0) ui.claims.replaceChildren(el("li", { class: "empty-note" }, "no file claims"));
  ui.claimCount.textContent = items.length > 0 ? `(${items.length})` : "";
}

async function releaseClaim(c: UiClaim, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  try {
    const r = await call<{ released: number; notice: number }>("/api/release", {
      method: "POST",
      body: { as: ui.as.value.trim(), holder: c.holder, project: c.project, path: c.path },
    });
    ui.claimStatus.textContent = `✓ released ${c.path}; ${c.holder} was told (message #${r.notice})`;
    await loadClaims();
  } catch (err) {
    button.disabled = false;
    ui.claimStatus.textContent = `✗ ${(err as Error).message}`;
  }
}

const ACTIVITY_SHOWN = 40;
function addActivity(a: UiActivity, fresh = true): void {
  const li = el("li", { class: `a-${a.type}${fresh ? " fresh" : ""}`, title: a.at }, el("span", { class: "dim" }, `${clock(a.at)} `), el("span", { class: "what" }, a.name), a.text);
  ui.activity.prepend(li);
  if (fresh) setTimeout(() => li.classList.remove("fresh"), 5000);
  while (ui.activity.children.length > ACTIVITY_SHOWN) ui.activity.lastElementChild?.remove();
}

async function loadActivity(): Promise<void> {
  const items = (await call<{ items: UiActivity[] }>("/api/activity")).items;
  ui.activity.replaceChildren();
  for (const a of items.slice(-ACTIVITY_SHOWN)) addActivity(a, false);
  if (items.length === 0) ui.activity.append(el("li", {}, "nothing has happened since the dashboard started"));
}

// ---- live ------------------------------------------------------------------------------

/** A message the broker just stored: its conversation, its open view, the graph, the counts. */
function onMessage(m: UiMessage): void {
  const c = conversationOf(m);
  const i = conversations.findIndex((x) => x.a === c.a && x.b === c.b);
  if (i >= 0) conversations.splice(i, 1);
  conversations.unshift({ ...c, last: m });
  renderConversations();
  if (view?.kind === "conversation" && view.a === c.a && view.b === c.b && document.getElementById(`m${m.id}`) === null) {
    const atBottom = ui.messages.scrollHeight - ui.messages.scrollTop - ui.messages.clientHeight < 40;
    const item = messageItem(m, itemOptions);
    item.dataset.conv = key(c.a, c.b);
    ui.messages.append(item);
    if (atBottom) ui.messages.scrollTop = ui.messages.scrollHeight;
  }
  graph.message(m.from, m.kind === "broadcast" ? EVERYONE : (m.channel ?? m.to));
  if (m.channel !== undefined) schedule("channels");
  // A direct message waiting to be read: its recipient's count goes up here (reads reload the agents).
  if (m.kind === "direct" && m.state !== "read") bumpUnread(m.to);
  else if (m.kind !== "direct") schedule("agents");
}

/** One more unread message for `name`, in place (no reload on the live path). */
function bumpUnread(name: string): void {
  const a = agents.find((x) => x.name === name);
  const row = ui.agents.querySelector<HTMLButtonElement>(`button[data-name="${CSS.escape(name)}"]`);
  if (a === undefined || row === null) return;
  a.unread++;
  row.lastElementChild?.replaceWith(dom(unreadBadge(a.unread)));
}

/** A message's new state: its chip in the open view and in the conversation list. */
function onState(id: number, state: UiState, readAt?: string): void {
  const item = document.getElementById(`m${id}`);
  const chip = item?.querySelector(".state");
  if (chip) chip.replaceWith(stateChip({ ...state, kind: item?.dataset.kind, ...(readAt !== undefined && { read_at: readAt }) }));
  const c = conversations.find((x) => x.last.id === id);
  if (c) Object.assign(c.last, state, readAt !== undefined ? { read_at: readAt } : {});
  schedule("agents");
}

function onActivity(a: UiActivity): void {
  if (ui.activity.firstElementChild?.classList.length === 0) ui.activity.replaceChildren();
  addActivity(a);
  if (a.type === "claimed" || a.type === "released") schedule("claims");
  if (a.type === "joined" || a.type === "left") schedule("channels");
  if (a.type === "registered" || a.type === "woken" || a.type === "claimed" || a.type === "released") schedule("agents");
}

const loaders = { agents: loadAgents, channels: loadChannels, claims: loadClaims, graph: loadGraph } as const;
const timers = new Map<keyof typeof loaders, ReturnType<typeof setTimeout>>();
/** Reloads one list soon (several events in a burst: once; the agents, up to 200 rows, at most once a second). */
function schedule(what: keyof typeof loaders): void {
  if (timers.has(what)) return;
  timers.set(
    what,
    setTimeout(
      () => {
        timers.delete(what);
        void loaders[what]().catch(() => {});
      },
      what === "agents" ? 1000 : 250,
    ),
  );
}

/**
 * The live feed; reconnects with backoff (1 s doubling to 30 s) while the page
 * is open, and reloads the lists after a reconnect (messages may have come meanwhile).
 */
function connectLive(delay = 1000, reconnect = false): void {
  // The session rides in the handshake as a second subprotocol; the server answers "ipc".
  const session = sessionStorage.getItem(SESSION_KEY) ?? "";
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/live`, ["ipc", `ipc-session.${session}`]);
  ws.addEventListener("open", () => {
    delay = 1000;
    ui.live.textContent = "● live";
    ui.live.classList.add("on");
    if (reconnect) void refresh().catch(() => {});
  });
  ws.addEventListener("message", (e) => {
    const event = JSON.parse(String(e.data)) as UiEvent;
    if (event.type === "message") onMessage(event.message);
    else if (event.type === "state") onState(event.id, event.state, event.read_at);
    else if (event.type === "activity") onActivity(event.activity);
  });
  ws.addEventListener("close", () => {
    ui.live.textContent = "○ offline";
    ui.live.classList.remove("on");
    if (sessionStorage.getItem(SESSION_KEY) === null) return;
    setTimeout(() => connectLive(Math.min(delay * 2, 30_000), true), delay);
  });
}

/** Every second: countdowns and "N s ago" follow the clock without a reload. */
function tick(): void {
  for (const e of document.querySelectorAll<HTMLElement>("[data-until]")) {
    const left = Date.parse(e.dataset.until!) - Date.now();
    e.textContent = left > 0 ? ago(left) : "now";
  }
  for (const e of ui.agents.querySelectorAll<HTMLElement>(".st[data-agent]")) {
    const a = agents.find((x) => x.name === e.dataset.agent);
    if (a && (a.state === "woken" || a.state === "offline")) e.textContent = agentState(a, Date.now());
  }
}

async function refresh(): Promise<void> {
  await Promise.all([loadAgents(), loadConversations(), loadChannels()]);
  showBanner(null);
}

// ---- compose ---------------------------------------------------------------------------

async function send(): Promise<void> {
  const content = ui.text.value;
  if (content.trim() === "") return;
  ui.sent.textContent = "sending…";
  completer.close();
  try {
    const r = await call<{ message_ids: number[]; status: string; conversation: { a: string; b: string } }>("/api/send", {
      method: "POST",
      body: { as: ui.as.value.trim(), to: ui.to.value.trim().toLowerCase(), content },
    });
    ui.text.value = "";
    ui.sent.textContent = `✓ #${r.message_ids[0] ?? "–"} ${r.status}`;
    localStorage.setItem("ipc-as", ui.as.value.trim());
    if (r.conversation.a.startsWith("#")) await loadChannels();
    await openConversation(r.conversation.a, r.conversation.b);
  } catch (err) {
    ui.sent.textContent = `✗ ${(err as Error).message}`;
  }
}

// ---- keyboard --------------------------------------------------------------------------

function moveConversation(step: 1 | -1): void {
  const current = view?.kind === "conversation" ? conversations.findIndex((c) => view?.kind === "conversation" && c.a === view.a && c.b === view.b) : -1;
  const next = conversations[Math.max(0, Math.min(conversations.length - 1, current + step))];
  if (next) {
    void openConversation(next.a, next.b);
    ui.conversations.querySelector<HTMLButtonElement>(`button[data-key="${CSS.escape(key(next.a, next.b))}"]`)?.focus();
  }
}

/** ↑ / ↓ between the buttons of the pane that has the focus. */
function moveInList(from: HTMLElement, step: 1 | -1): boolean {
  const pane = from.closest(".pane");
  if (pane === null) return false;
  const items = [...pane.querySelectorAll<HTMLButtonElement>("button.item, .claims button.release")];
  const i = items.indexOf(from as HTMLButtonElement);
  if (i === -1) return false;
  items[Math.max(0, Math.min(items.length - 1, i + step))]?.focus();
  return true;
}

function firstIn(list: HTMLElement): void {
  list.querySelector<HTMLButtonElement>("button")?.focus();
}

function toggleTheme(): void {
  const dark = document.documentElement.dataset.theme === "dark" || (!document.documentElement.dataset.theme && matchMedia("(prefers-color-scheme: dark)").matches);
  document.documentElement.dataset.theme = dark ? "light" : "dark";
  localStorage.setItem("ipc-theme", document.documentElement.dataset.theme);
}

/** The conversation a list's clicked button stands for (`data-key`), or null. */
function clickedConversation(e: Event): { a: string; b: string } | null {
  const k = (e.target as Element).closest<HTMLElement>("button[data-key]")?.dataset.key;
  if (k === undefined) return null;
  const [a = "", b = ""] = k.split(" ");
  return { a, b };
}

function wire(): void {
  // One listener per list: its rows may come from the server's first screen or from the page.
  ui.agents.addEventListener("click", (e) => {
    const name = (e.target as Element).closest<HTMLElement>("button[data-name]")?.dataset.name;
    if (name === undefined) return;
    ui.to.value = name;
    ui.text.focus();
  });
  for (const list of [ui.channels, ui.conversations]) {
    list.addEventListener("click", (e) => {
      const c = clickedConversation(e);
      if (c !== null) void openConversation(c.a, c.b);
    });
  }
  ui.compose.addEventListener("submit", (e) => {
    e.preventDefault();
    void send();
  });
  ui.text.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void send();
    }
  });
  ui.search.addEventListener("input", searchSoon);
  ui.search.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      clearTimeout(searchTimer);
      void runSearch(ui.search.value);
    } else if (e.key === "Escape" && ui.search.value !== "") {
      ui.search.value = "";
      void runSearch("");
    }
  });
  ui.moreAgents.addEventListener("click", () => {
    agentLimit += 200;
    void loadAgents();
  });
  ui.moreConversations.addEventListener("click", () => {
    conversationLimit += 50;
    void loadConversations();
  });
  ui.earlier.addEventListener("click", () => void loadEarlier());
  ui.theme.addEventListener("click", toggleTheme);
  document.addEventListener("keydown", (e) => {
    const t = e.target as HTMLElement;
    const typing = t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement;
    if (e.key === "Escape" && typing) t.blur();
    if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
    if ((e.key === "ArrowDown" || e.key === "ArrowUp") && moveInList(t, e.key === "ArrowDown" ? 1 : -1)) {
      e.preventDefault();
      return;
    }
    const keys: Record<string, () => void> = {
      "/": () => ui.search.focus(),
      j: () => moveConversation(1),
      k: () => moveConversation(-1),
      c: () => ui.text.focus(),
      a: () => firstIn(ui.agents),
      h: () => firstIn(ui.channels),
      l: () => firstIn(ui.claims),
      t: toggleTheme,
    };
    const act = keys[e.key];
    if (act) {
      e.preventDefault();
      act();
    }
  });
}

/** Spends a one-time code in `#login=…` (an older link; removed from the address bar and history). */
async function login(): Promise<void> {
  const code = new URLSearchParams(location.hash.slice(1)).get("login");
  if (code === null) return;
  history.replaceState(null, "", location.pathname);
  const r = await call<UiLoggedIn>("/api/login", { method: "POST", body: { code } });
  sessionStorage.setItem(SESSION_KEY, r.session);
}

/** The first screen the server drew into the page when it was opened with a login link (src/ui/first-screen.ts), or null. */
function firstScreen(): UiFirstScreen | null {
  const node = document.getElementById("first-screen");
  if (node === null) return null;
  node.remove();
  history.replaceState(null, "", location.pathname);
  return JSON.parse(node.textContent ?? "null") as UiFirstScreen;
}

/** Resolves after the next frame is drawn. */
function afterPaint(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

async function start(): Promise<void> {
  const theme = localStorage.getItem("ipc-theme");
  if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
  ui.as.value = localStorage.getItem("ipc-as") ?? "you";
  wire();
  const first = firstScreen();
  if (first?.session !== undefined) sessionStorage.setItem(SESSION_KEY, first.session);
  if (first !== null && "error" in first) {
    showBanner(first.error);
    if (first.session === undefined) return;
  }
  if (first !== null && "agents" in first) {
    // Drawn by the server; this script was started after that frame (first-screen.ts): adopt its data.
    agents = first.agents.items;
    channels = first.channels;
    conversations = first.conversations.items;
    ui.moreConversations.hidden = first.conversations.more !== true;
    // The server drew what a screen shows (the same rows, first-screen.ts DRAWN): the rest now, after them.
    ui.agents.append(...agentRows(agents, Date.now()).slice(ui.agents.children.length).map(dom));
    ui.conversations.append(...conversations.slice(ui.conversations.children.length).map((c) => dom(conversationRow(c, false))));
    agentsShown(first.agents.total ?? agents.length);
  } else {
    try {
      await login();
      await refresh();
      // Read by the benchmark (bench/workloads/ui.ts): the agents and conversations are on screen once this frame is drawn.
      void afterPaint().then(() => performance.mark("ipc:first-screen"));
    } catch (err) {
      if (!(err instanceof HttpError && (err.status === 401 || err.status === 429))) showBanner(`Could not load: ${(err as Error).message}`);
      return;
    }
  }
  void Promise.all([loadGraph(), loadClaims(), loadActivity()]).catch((err) => showBanner(`Could not load: ${(err as Error).message}`));
  // Something to read without a click: the newest conversation.
  const newest = conversations[0];
  if (view === null && newest !== undefined) void openConversation(newest.a, newest.b).catch(() => {});
  connectLive();
  setInterval(tick, 1000);
  // States that change without an event (woken → active → idle as time passes): every 15 s.
  setInterval(() => schedule("agents"), 15_000);
}

void start();
