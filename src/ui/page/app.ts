/**
 * The dashboard page: logs in with the one-time code in the URL fragment,
 * then shows agents, conversations and one conversation, updated live over
 * the `/api/live` WebSocket; posts as the person's own name. Keyboard:
 * `/` search, `j`/`k` next/previous conversation, `c` compose, Ctrl+Enter send,
 * Escape leaves a field.
 */
import type { Message } from "../../protocol/message.ts";
import type { Page, UiAgent, UiConversation, UiEvent, UiLoggedIn, UiMessage } from "../schemas.ts";
import { el, messageItem, when } from "./render.ts";

const EVERYONE = "*";
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const ui = {
  agents: $<HTMLUListElement>("agents"),
  agentCount: $("agent-count"),
  moreAgents: $<HTMLButtonElement>("more-agents"),
  conversations: $<HTMLUListElement>("conversations"),
  moreConversations: $<HTMLButtonElement>("more-conversations"),
  title: $("title"),
  messages: $<HTMLOListElement>("messages"),
  earlier: $<HTMLButtonElement>("earlier"),
  search: $<HTMLInputElement>("search"),
  as: $<HTMLInputElement>("as"),
  to: $<HTMLInputElement>("to"),
  names: $<HTMLDataListElement>("names"),
  text: $<HTMLTextAreaElement>("text"),
  compose: $<HTMLFormElement>("compose"),
  sent: $("sent"),
  banner: $("banner"),
  live: $("live"),
  theme: $<HTMLButtonElement>("theme"),
};

/** What the main pane shows: one conversation, or search results. */
let view: { kind: "conversation"; a: string; b: string; oldest: number } | { kind: "search"; query: string } | null = null;
let agentLimit = 100;
let conversationLimit = 50;
let conversations: UiConversation[] = [];

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

const key = (a: string, b: string) => `${a}\u0000${b}`;
const label = (c: { a: string; b: string }) => (c.a === EVERYONE ? "everyone (broadcasts)" : `${c.a} ↔ ${c.b}`);

/** The conversation a message belongs to. */
function conversationOf(m: Message): { a: string; b: string } {
  if (m.kind === "broadcast") return { a: EVERYONE, b: EVERYONE };
  return m.from < m.to ? { a: m.from, b: m.to } : { a: m.to, b: m.from };
}

async function loadAgents(): Promise<void> {
  const page = await call<Page<UiAgent>>(`/api/agents?limit=${agentLimit}`);
  ui.agents.replaceChildren(
    ...page.items.map((a) => {
      const button = el(
        "button",
        { type: "button", title: `last seen ${a.last_seen}` },
        el(
          "span",
          { class: "row" },
          el("span", { class: a.online ? "dot on" : "dot", "aria-label": a.online ? "online" : "offline" }, a.online ? "●" : "○"),
          el("span", { class: "name" }, a.name),
          a.unread > 0 ? el("span", { class: "badge", title: "unread" }, String(a.unread)) : null,
        ),
        el("span", { class: "dim" }, a.online ? "online" : `last seen ${when(a.last_seen)}`),
      );
      button.addEventListener("click", () => {
        ui.to.value = a.name;
        ui.text.focus();
      });
      return el("li", {}, button);
    }),
  );
  const total = page.total ?? page.items.length;
  ui.agentCount.textContent = `(${total})`;
  ui.moreAgents.hidden = total <= page.items.length;
  ui.names.replaceChildren(el("option", { value: EVERYONE }, "everyone"), ...page.items.map((a) => el("option", { value: a.name })));
}

function renderConversations(): void {
  const current = view?.kind === "conversation" ? key(view.a, view.b) : null;
  ui.conversations.replaceChildren(
    ...conversations.map((c) => {
      const button = el(
        "button",
        { type: "button", "data-key": key(c.a, c.b), class: key(c.a, c.b) === current ? "current" : "" },
        el("span", { class: "row" }, el("span", { class: "name" }, label(c)), el("span", { class: "dim" }, when(c.last.created_at))),
        el("span", { class: "preview" }, `${c.last.from}: ${c.last.content.slice(0, 140)}`),
      );
      button.addEventListener("click", () => void openConversation(c.a, c.b));
      return el("li", {}, button);
    }),
  );
}

async function loadConversations(): Promise<void> {
  const page = await call<Page<UiConversation>>(`/api/conversations?limit=${conversationLimit}`);
  conversations = page.items;
  ui.moreConversations.hidden = page.more !== true;
  renderConversations();
}

const itemOptions = {
  loadFull: async (id: number) => (await call<{ message: Message }>(`/api/message/${id}`)).message,
  jump: (id: number) => void jumpTo(id),
};

async function openConversation(a: string, b: string): Promise<void> {
  view = { kind: "conversation", a, b, oldest: 0 };
  ui.title.textContent = label({ a, b });
  const me = ui.as.value.toLowerCase();
  ui.to.value = a === EVERYONE ? EVERYONE : a === me ? b : b === me ? a : b;
  renderConversations();
  const page = await call<Page<UiMessage>>(`/api/conversation?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}&limit=100`);
  ui.messages.replaceChildren(...page.items.map((m) => messageItem(m, itemOptions)));
  view.oldest = page.items[0]?.id ?? 0;
  ui.earlier.hidden = page.more !== true;
  ui.messages.scrollTop = ui.messages.scrollHeight;
}

async function loadEarlier(): Promise<void> {
  if (view?.kind !== "conversation" || view.oldest === 0) return;
  const { a, b } = view;
  const page = await call<Page<UiMessage>>(`/api/conversation?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}&limit=100&before=${view.oldest}`);
  ui.messages.prepend(...page.items.map((m) => messageItem(m, itemOptions)));
  view.oldest = page.items[0]?.id ?? view.oldest;
  ui.earlier.hidden = page.more !== true;
}

async function jumpTo(id: number): Promise<void> {
  let item = document.getElementById(`m${id}`);
  if (item === null) {
    const { message } = await call<{ message: Message }>(`/api/message/${id}`);
    item = messageItem(message, itemOptions);
    ui.messages.prepend(item);
  }
  item.scrollIntoView({ block: "center" });
  item.classList.add("flash");
  setTimeout(() => item.classList.remove("flash"), 1500);
}

async function runSearch(query: string): Promise<void> {
  if (query.trim() === "") return;
  view = { kind: "search", query };
  renderConversations();
  const page = await call<Page<UiMessage>>(`/api/search?q=${encodeURIComponent(query)}`);
  ui.title.textContent = `${page.items.length} result${page.items.length === 1 ? "" : "s"} for “${query}”`;
  ui.earlier.hidden = true;
  ui.messages.replaceChildren(...page.items.map((m) => messageItem(m, itemOptions)));
}

/** A message the broker just stored: into its conversation, its open view, and the agents' counts. */
function onMessage(m: UiMessage): void {
  const c = conversationOf(m);
  const i = conversations.findIndex((x) => x.a === c.a && x.b === c.b);
  if (i >= 0) {
    conversations.splice(i, 1);
  }
  conversations.unshift({ ...c, last: m });
  renderConversations();
  if (view?.kind === "conversation" && view.a === c.a && view.b === c.b) {
    const duplicate = m.kind === "broadcast" && [...ui.messages.querySelectorAll("time")].some((t) => t.getAttribute("datetime") === m.created_at);
    if (!duplicate && document.getElementById(`m${m.id}`) === null) {
      const atBottom = ui.messages.scrollHeight - ui.messages.scrollTop - ui.messages.clientHeight < 40;
      ui.messages.append(messageItem(m, itemOptions));
      if (atBottom) ui.messages.scrollTop = ui.messages.scrollHeight;
    }
  }
  scheduleAgents();
}

let agentsTimer: ReturnType<typeof setTimeout> | null = null;
function scheduleAgents(): void {
  agentsTimer ??= setTimeout(() => {
    agentsTimer = null;
    void loadAgents().catch(() => {});
  }, 250);
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
  });
  ws.addEventListener("close", () => {
    ui.live.textContent = "○ offline";
    ui.live.classList.remove("on");
    if (sessionStorage.getItem(SESSION_KEY) === null) return;
    setTimeout(() => connectLive(Math.min(delay * 2, 30_000), true), delay);
  });
}

async function refresh(): Promise<void> {
  await Promise.all([loadAgents(), loadConversations()]);
  showBanner(null);
}

async function send(): Promise<void> {
  const content = ui.text.value;
  if (content.trim() === "") return;
  ui.sent.textContent = "sending…";
  try {
    const r = await call<{ message_ids: number[]; status: string }>("/api/send", {
      method: "POST",
      body: { as: ui.as.value.trim(), to: ui.to.value.trim(), content },
    });
    ui.text.value = "";
    ui.sent.textContent = `✓ #${r.message_ids[0] ?? "–"} ${r.status}`;
    localStorage.setItem("ipc-as", ui.as.value.trim());
  } catch (err) {
    ui.sent.textContent = `✗ ${(err as Error).message}`;
  }
}

function moveConversation(step: 1 | -1): void {
  const current = view?.kind === "conversation" ? conversations.findIndex((c) => view?.kind === "conversation" && c.a === view.a && c.b === view.b) : -1;
  const next = conversations[Math.max(0, Math.min(conversations.length - 1, current + step))];
  if (next) {
    void openConversation(next.a, next.b);
    ui.conversations.querySelector<HTMLButtonElement>(`button[data-key="${CSS.escape(key(next.a, next.b))}"]`)?.focus();
  }
}

function wire(): void {
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
  ui.search.addEventListener("keydown", (e) => {
    if (e.key === "Enter") void runSearch(ui.search.value);
  });
  ui.moreAgents.addEventListener("click", () => {
    agentLimit += 100;
    void loadAgents();
  });
  ui.moreConversations.addEventListener("click", () => {
    conversationLimit += 50;
    void loadConversations();
  });
  ui.earlier.addEventListener("click", () => void loadEarlier());
  ui.theme.addEventListener("click", () => {
    const dark = document.documentElement.dataset.theme === "dark" || (!document.documentElement.dataset.theme && matchMedia("(prefers-color-scheme: dark)").matches);
    document.documentElement.dataset.theme = dark ? "light" : "dark";
    localStorage.setItem("ipc-theme", document.documentElement.dataset.theme);
  });
  document.addEventListener("keydown", (e) => {
    const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement;
    if (e.key === "Escape" && typing) (e.target as HTMLElement).blur();
    if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "/") {
      e.preventDefault();
      ui.search.focus();
    } else if (e.key === "j") moveConversation(1);
    else if (e.key === "k") moveConversation(-1);
    else if (e.key === "c") {
      e.preventDefault();
      ui.text.focus();
    }
  });
}

/** Spends the one-time code in `#login=…` (and removes it from the address bar and history). */
async function login(): Promise<void> {
  const code = new URLSearchParams(location.hash.slice(1)).get("login");
  if (code === null) return;
  history.replaceState(null, "", location.pathname);
  const r = await call<UiLoggedIn>("/api/login", { method: "POST", body: { code } });
  sessionStorage.setItem(SESSION_KEY, r.session);
}

async function start(): Promise<void> {
  const theme = localStorage.getItem("ipc-theme");
  if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
  ui.as.value = localStorage.getItem("ipc-as") ?? "you";
  wire();
  try {
    await login();
    await refresh();
    performance.mark("ipc:first-screen"); // read by the benchmark (bench/workloads/ui.ts)
  } catch (err) {
    if (!(err instanceof HttpError && (err.status === 401 || err.status === 429))) showBanner(`Could not load: ${(err as Error).message}`);
    return;
  }
  connectLive();
}

void start();
