/**
 * A stand-in for an OpenAI-compatible Chat Completions API on 127.0.0.1, for
 * running the real OpenCode (and any host that takes an OpenAI-compatible
 * provider by base URL) without a network. Every request is recorded.
 * `POST /v1/chat/completions` answers the next scripted reply for requests
 * that offer tools (the agent loop), "ok" for the others (titles, summaries):
 * as Server-Sent Events when `stream` is true (OpenAI streaming format:
 * `chat.completion.chunk` objects with `choices[0].delta.content` or
 * `delta.tool_calls`, a last chunk with `finish_reason` and `usage`, then
 * `data: [DONE]`), else as one `chat.completion`. `GET /v1/models` lists one model.
 */

/** One scripted answer: plain text, or a call of one function; `delayMs` keeps the turn busy that long first. */
export type ChatReply = ({ text: string } | { call: string; args: Record<string, unknown> }) & { delayMs?: number };

/** A recorded request. */
export interface ChatRecorded {
  /** performance.now() when it arrived (ms). */
  at: number;
  path: string;
  body: any;
  /** The whole body as text, for "does it contain …" checks. */
  text: string;
}

export interface ChatApi extends AsyncDisposable {
  /** The base URL a provider takes, ending in /v1. */
  url: string;
  /** Every request so far, oldest first. */
  requests: ChatRecorded[];
  /** Requests of the agent loop (those offering tools), oldest first. */
  turns(): ChatRecorded[];
  /** Answers for the next agent-loop requests, first in first out; text "ok" when empty. */
  script: ChatReply[];
  /** The first agent-loop request after index `from` whose text satisfies `test`, or null after `timeoutMs`. */
  waitForTurn(test: (r: ChatRecorded) => boolean, timeoutMs: number, from?: number): Promise<ChatRecorded | null>;
}

/** The name of the one model the stand-in offers. */
export const STUB_MODEL = "stub-model";

/** The text of the last message of role `user` or `tool` in a request (the prompt, or a tool's result). */
export function lastInput(body: any): string {
  const messages = Array.isArray(body?.messages) ? body.messages : [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.role === "user" || m?.role === "tool") return typeof m.content === "string" ? m.content : JSON.stringify(m.content);
  }
  return "";
}

/** The function names a request offers. */
export function offeredTools(body: any): string[] {
  const tools = Array.isArray(body?.tools) ? body.tools : [];
  return tools.map((t: any) => String(t?.function?.name));
}

const isTurn = (body: any) => Array.isArray(body?.tools) && body.tools.length > 0;

/** The SSE body of `reply`. */
function stream(reply: ChatReply, model: string): string {
  const id = `chatcmpl-${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: Record<string, unknown>, finish: string | null, usage?: Record<string, number>) =>
    `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta, finish_reason: finish }], ...(usage && { usage }) })}\n\n`;
  const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
  if ("text" in reply) return chunk({ role: "assistant", content: reply.text }, null) + chunk({}, "stop", usage) + "data: [DONE]\n\n";
  const call = { index: 0, id: `call_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`, type: "function", function: { name: reply.call, arguments: JSON.stringify(reply.args) } };
  return chunk({ role: "assistant", content: null, tool_calls: [call] }, null) + chunk({}, "tool_calls", usage) + "data: [DONE]\n\n";
}

/** The non-streaming answer of `reply`. */
function whole(reply: ChatReply, model: string): Record<string, unknown> {
  const message =
    "text" in reply
      ? { role: "assistant", content: reply.text }
      : { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: reply.call, arguments: JSON.stringify(reply.args) } }] };
  return {
    id: `chatcmpl-${crypto.randomUUID().slice(0, 8)}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message, finish_reason: "text" in reply ? "stop" : "tool_calls" }],
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
  };
}

/** Starts the stand-in on a free loopback port. */
export function startChatApi(): ChatApi {
  const requests: ChatRecorded[] = [];
  const script: ChatReply[] = [];
  const listeners = new Set<() => void>();
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      if (req.method === "GET" && url.pathname.endsWith("/models")) return Response.json({ object: "list", data: [{ id: STUB_MODEL, object: "model", created: 0, owned_by: "ipc-tests" }] });
      const text = req.method === "POST" ? await req.text() : "";
      let body: any = {};
      try {
        body = JSON.parse(text);
      } catch {}
      requests.push({ at: performance.now(), path: `${url.pathname}${url.search}`, body, text });
      for (const l of listeners) l();
      if (!url.pathname.endsWith("/chat/completions")) return Response.json({});
      const reply: ChatReply = isTurn(body) ? (script.shift() ?? { text: "ok" }) : { text: "ok" };
      if (reply.delayMs !== undefined) await Bun.sleep(reply.delayMs);
      const model = typeof body.model === "string" ? body.model : STUB_MODEL;
      if (body.stream !== true) return Response.json(whole(reply, model));
      return new Response(stream(reply, model), { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
    },
  });
  const turns = () => requests.filter((r) => isTurn(r.body));
  return {
    url: `http://127.0.0.1:${server.port}/v1`,
    requests,
    script,
    turns,
    waitForTurn(test, timeoutMs, from = 0) {
      const found = () => turns().slice(from).find(test) ?? null;
      return new Promise((resolve) => {
        const now = found();
        if (now !== null) return resolve(now);
        const done = (r: ChatRecorded | null) => {
          clearTimeout(timer);
          listeners.delete(check);
          resolve(r);
        };
        const check = () => {
          const r = found();
          if (r !== null) done(r);
        };
        const timer = setTimeout(() => done(null), timeoutMs);
        listeners.add(check);
      });
    },
    async [Symbol.asyncDispose]() {
      await server.stop(true);
    },
  };
}
