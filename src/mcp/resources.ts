/**
 * Resources (docs/design.md#7-mcp-server): `ipc://inbox` (unread messages, left unread),
 * `ipc://instances`, `ipc://status`. Hosts may subscribe to `ipc://inbox`;
 * the server then sends `notifications/resources/updated` whenever the broker
 * pushes a new message (see server.ts), never by polling.
 */
import { ErrorCode, McpError, type ReadResourceResult, type Resource } from "@modelcontextprotocol/sdk/types.js";
import { escapeControl } from "../protocol/control-chars.ts";
import type { Agent } from "../client/agent.ts";
import { NOT_REGISTERED } from "./errors.ts";
import { instancesText, messagesText } from "./format.ts";
import type { Identity } from "./identity.ts";

export const INBOX_URI = "ipc://inbox";
export const INSTANCES_URI = "ipc://instances";
export const STATUS_URI = "ipc://status";

/** What resources/list returns. */
export const RESOURCES: Resource[] = [
  {
    uri: INBOX_URI,
    name: "inbox",
    title: "ipc inbox",
    description: "Your unread ipc messages, oldest first (reading this does not mark them read). Subscribe to be told when mail arrives.",
    mimeType: "text/plain",
  },
  {
    uri: INSTANCES_URI,
    name: "instances",
    title: "ipc agents",
    description: "Registered agents: online or not, last seen, unread counts.",
    mimeType: "text/plain",
  },
  {
    uri: STATUS_URI,
    name: "status",
    title: "ipc broker status",
    description: "The broker: version, pid, uptime, address, security mode, database, counts (JSON).",
    mimeType: "application/json",
  },
];

/** Resources that support resources/subscribe. */
export const SUBSCRIBABLE: ReadonlySet<string> = new Set([INBOX_URI]);

/**
 * Reads one resource.
 * @throws McpError InvalidParams for an unknown URI; IpcError from the broker.
 */
export async function readResource(uri: string, agent: Agent, identity: Identity): Promise<ReadResourceResult> {
  // Control characters from other agents' messages are escaped (ESC → \u001b), as in tool results.
  const text = (t: string, mimeType = "text/plain") => ({ contents: [{ uri, mimeType, text: escapeControl(t, { keepCR: true }) }] });
  switch (uri) {
    case INBOX_URI: {
      await identity.ready;
      if (!identity.registered) return text(`Not registered: ${NOT_REGISTERED}`);
      const { messages } = await agent.call("check", { peek: true, limit: 100 });
      return text(messagesText(messages, "No unread messages.", (n) => `${n} unread message${n === 1 ? "" : "s"}`, agent.name));
    }
    case INSTANCES_URI: {
      await identity.ready;
      return text(instancesText(await agent.call("list", {}), identity.name));
    }
    case STATUS_URI:
      return text(JSON.stringify(await agent.call("status", {}), null, 2), "application/json");
    default:
      throw new McpError(ErrorCode.InvalidParams, `no resource ${uri}: the resources are ${RESOURCES.map((r) => r.uri).join(", ")}`);
  }
}
