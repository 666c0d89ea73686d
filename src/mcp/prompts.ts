/**
 * Prompts (docs/design.md#7-mcp-server) for the common actions; hosts show them as slash
 * commands (Claude Code: /mcp__ipc__check_inbox).
 */
import { ErrorCode, type GetPromptResult, McpError, type Prompt } from "@modelcontextprotocol/sdk/types.js";

interface PromptDef extends Prompt {
  text(args: Record<string, string>): string;
}

const PROMPTS: PromptDef[] = [
  {
    name: "check_inbox",
    title: "Check ipc messages",
    description: "Read your unread ipc messages and deal with them",
    text: () =>
      "Check my ipc messages with the check tool. Summarise each new message (who, what), answer the ones that need a reply with send, and tell me about anything I should decide.",
  },
  {
    name: "message_agent",
    title: "Message an agent",
    description: "Send a message to another agent over ipc",
    arguments: [
      { name: "to", description: "who to message, e.g. fred", required: true },
      { name: "message", description: "what to say", required: true },
    ],
    text: ({ to, message }) => `Send this message to ${to} with the ipc send tool (to: "${to}"):\n\n${message}`,
  },
  {
    name: "whos_online",
    title: "Who's online",
    description: "List the agents registered on ipc and who is online",
    text: () => "Call the ipc list_instances tool and tell me who is online and who has unread messages.",
  },
  {
    name: "wait_for_reply",
    title: "Wait for a reply",
    description: "Wait for the next ipc message (optionally from one agent)",
    arguments: [{ name: "from", description: "only from this agent (optional)", required: false }],
    text: ({ from }) =>
      `Wait for my next ipc message${from ? ` from ${from}` : ""}: call the check tool with wait 50${from ? ` and from "${from}"` : ""}, repeating while nothing arrives (up to 5 times), then show me what came.`,
  },
];

/** What prompts/list returns. */
export function listPrompts(): Prompt[] {
  return PROMPTS.map(({ text: _text, ...p }) => p);
}

/**
 * The messages of one prompt.
 * @throws McpError InvalidParams for an unknown prompt or a missing required argument.
 */
export function getPrompt(name: string, args: Record<string, string> = {}): GetPromptResult {
  const p = PROMPTS.find((x) => x.name === name);
  if (p === undefined) throw new McpError(ErrorCode.InvalidParams, `no prompt ${name}: the prompts are ${PROMPTS.map((x) => x.name).join(", ")}`);
  for (const a of p.arguments ?? []) {
    if (a.required && !args[a.name]?.trim()) throw new McpError(ErrorCode.InvalidParams, `prompt ${name} needs "${a.name}" (${a.description})`);
  }
  return { description: p.description, messages: [{ role: "user", content: { type: "text", text: p.text(args) } }] };
}
