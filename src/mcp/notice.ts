/**
 * The "you have mail" line every tool result ends with (docs/design.md#7-mcp-server), so an
 * agent busy with other work notices messages. Uses the broker's cheap
 * `whoami` count; never consumes anything.
 */
import type { Agent } from "../client/agent.ts";
import type { Identity } from "./identity.ts";

/** The notice for `unread` waiting messages, or "" when there are none. */
export function unreadLine(unread: number): string {
  if (unread <= 0) return "";
  return `📬 ${unread} unread message${unread === 1 ? "" : "s"} — call check`;
}

/** The notice for this agent right now; "" when nothing waits, before register, or when the broker cannot say. */
export async function unreadNotice(agent: Agent, identity: Identity): Promise<string> {
  if (!identity.registered) return "";
  try {
    const { unread } = await agent.call("whoami", {}, 3_000);
    return unreadLine(unread);
  } catch {
    return "";
  }
}
