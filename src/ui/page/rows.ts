/**
 * The rows of the dashboard's lists (agents, channels, conversations) as
 * plain element trees, with no DOM: the page turns them into elements and
 * text nodes (render.ts `dom`), the server into escaped HTML for the first
 * screen (src/ui/html.ts). One description, so both draw the same markup.
 * Clicks are handled on the lists (app.ts), not on each row.
 */
import type { UiAgent, UiChannel, UiConversation } from "../schemas.ts";
import { ago, when } from "./format.ts";

/** An element: tag, attributes (strings only), children (trees or text). */
export interface V {
  tag: string;
  attrs: Record<string, string>;
  children: (V | string)[];
}

/** An element tree; null, undefined and false children are left out. */
export function h(tag: string, attrs: Record<string, string> = {}, ...children: (V | string | null | undefined | false)[]): V {
  return { tag, attrs, children: children.filter((c): c is V | string => c !== null && c !== undefined && c !== false) };
}

export const EVERYONE = "*";

/** A conversation's key (a space: names and channels never hold one). */
export const key = (a: string, b: string) => `${a} ${b}`;

/** A conversation's title. */
export const label = (c: { a: string; b: string }) => (c.a === EVERYONE ? "everyone (broadcasts)" : c.a.startsWith("#") ? c.a : `${c.a} ↔ ${c.b}`);

/** An agent's state as a short text, at `now` (ms). */
export function agentState(a: UiAgent, now: number): string {
  if (a.state === "woken" && a.woken_at !== undefined) return `woken ${ago(now - Date.parse(a.woken_at))}`;
  if (a.state === "offline") return `seen ${ago(now - Date.parse(a.last_seen))}`;
  return a.state;
}

const STATE_TITLE: Record<UiAgent["state"], string> = {
  woken: "a message was put into its model's turn (ago)",
  offline: "last seen (ago)",
  active: "made a request within the last minute",
  idle: "online, no request for a minute or more",
};

/**
 * `elementtiming` (W3C Element Timing) on the first agent's and the first
 * conversation's name: the browser reports when each was first presented on
 * screen, which bench/workloads/ui.ts reads for `ui.first_screen`.
 */
export const TIMED = { agents: "ipc-agents", conversations: "ipc-conversations" } as const;

/** One agent on one line: dot, name (@machine), host kind, state, claims held, unread. */
export function agentRow(a: UiAgent, now: number, timed = false): V {
  const details = [
    a.kind || "host unknown (no seat since the broker started)",
    a.machine,
    a.project ? `project ${a.project}` : "no project",
    a.online ? (a.listening ? "online, listening for mail" : "online") : `offline, last seen ${a.last_seen}`,
    a.woken_at ? `last woken ${a.woken_at}` : "",
    a.claims.length > 0 ? `claims: ${a.claims.join(", ")}` : "",
  ].filter(Boolean);
  const dot = a.state === "woken" ? "dot woken" : a.online ? "dot on" : "dot";
  return h(
    "button",
    { type: "button", class: `item agent${a.online ? "" : " offline"}`, "data-name": a.name, title: details.join(" · ") },
    h("span", { class: dot, "aria-hidden": "true" }),
    h("span", { class: "name", ...(timed && { elementtiming: TIMED.agents }) }, a.name, a.machine !== "this machine" ? h("span", { class: "where" }, `@${a.machine}`) : null),
    h("span", { class: "kind" }, a.kind || "?"),
    h("span", { class: `st ${a.state}`, "data-agent": a.name, title: STATE_TITLE[a.state] }, agentState(a, now)),
    h("span", { class: "held", title: a.claims.join(", ") }, a.claims.length > 0 ? `⚑${a.claims.length}` : ""),
    unreadBadge(a.unread),
  );
}

/** An agent's unread count (an empty span when none: the row keeps its columns). */
export function unreadBadge(n: number): V {
  return n > 0 ? h("span", { class: "badge", title: `${n} unread` }, String(n)) : h("span", {});
}

/** The agents, one row each, under a heading per project (in the order given: the server groups them); the first `limit` only. */
export function agentRows(agents: readonly UiAgent[], now: number, limit = agents.length): V[] {
  const perProject = new Map<string | null, number>();
  for (const a of agents) perProject.set(a.project, (perProject.get(a.project) ?? 0) + 1);
  const rows: V[] = [];
  let group: string | null | undefined;
  for (const [i, a] of agents.slice(0, limit).entries()) {
    if (a.project !== group) {
      group = a.project;
      rows.push(h("div", { class: "group", role: "presentation" }, h("span", {}, a.project ?? "no project"), h("span", {}, String(perProject.get(a.project)))));
    }
    rows.push(agentRow(a, now, i === 0));
  }
  return rows;
}

/** "(3 online of 200)". */
export function agentCount(agents: readonly UiAgent[], total: number): string {
  return `(${agents.filter((a) => a.online).length} online of ${total})`;
}

/** One channel: name, members, unread copies, its latest post. */
export function channelRow(c: UiChannel, current: boolean): V {
  return h(
    "li",
    {},
    h(
      "button",
      { type: "button", class: `item chan${current ? " current" : ""}`, "data-key": key(c.name, c.name), title: `members: ${c.members.join(", ")}` },
      h(
        "span",
        { class: "row" },
        h("span", { class: "name" }, c.name),
        h("span", { class: "dim" }, `${c.members.length} member${c.members.length === 1 ? "" : "s"}`),
        c.unread > 0 ? h("span", { class: "badge", title: "copies unread by members" }, String(c.unread)) : null,
        c.last ? h("span", { class: "dim when" }, when(c.last.created_at)) : null,
      ),
      h("span", { class: "preview" }, c.last ? `${c.last.from}: ${c.last.content.slice(0, 140)}` : "no posts yet"),
    ),
  );
}

/** The channels, or a note saying how to make one. */
export function channelRows(channels: readonly UiChannel[], current: string | null): V[] {
  if (channels.length === 0) return [h("li", { class: "empty-note" }, "no channels yet (ipc channel join '#name')")];
  return channels.map((c) => channelRow(c, c.name === current));
}

/** One conversation: its title, `channel` for a channel, when, a preview of its newest message. */
export function conversationRow(c: UiConversation, current: boolean, timed = false): V {
  return h(
    "li",
    {},
    h(
      "button",
      { type: "button", "data-key": key(c.a, c.b), class: `item conv${current ? " current" : ""}` },
      h(
        "span",
        { class: "row" },
        h("span", { class: "name", ...(timed && { elementtiming: TIMED.conversations }) }, label(c)),
        c.a.startsWith("#") ? h("span", { class: "tag" }, "channel") : null,
        h("span", { class: "dim when" }, when(c.last.created_at)),
      ),
      h("span", { class: "preview" }, `${c.last.from}: ${c.last.content.slice(0, 140)}`),
    ),
  );
}
