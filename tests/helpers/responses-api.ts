/**
 * A stand-in for the OpenAI Responses API on 127.0.0.1, for running the real
 * Codex without a network (a custom `[model_providers.<id>]` with
 * `wire_api = "responses"` pointed at it): `POST …/responses` answers with a
 * scripted Server-Sent-Events stream in the Responses API streaming format
 * (response.created, response.output_item.added, response.content_part.added,
 * response.output_text.delta/done, response.content_part.done,
 * response.output_item.done, response.completed; a function call streams
 * response.function_call_arguments.delta/done instead of the text parts) and
 * every request is recorded. Anything else gets an empty JSON object.
 */

/**
 * One scripted answer: plain text, or a call of one function tool (the model then waits for its
 * output); an MCP server's tools sit in a namespace (Codex: `mcp__<server>`, e.g. `{tool: "send",
 * namespace: "mcp__ipc"}`). `delayMs` keeps the session busy that long first.
 */
export type Reply = ({ text: string } | { tool: string; namespace?: string; input: Record<string, unknown> }) & { delayMs?: number };

/** A recorded POST …/responses request. */
export interface Recorded {
  /** performance.now() when it arrived (ms). */
  at: number;
  body: any;
  /** The whole request body as text, for "does it contain …" checks. */
  text: string;
}

export interface ResponsesApi extends AsyncDisposable {
  /** The provider's base_url (ends in /v1). */
  url: string;
  /** Every POST …/responses so far, oldest first. */
  requests: Recorded[];
  /** Requests of the agent loop (those that offer tools; Codex's title request offers none), oldest first. */
  turns(): Recorded[];
  /** Answers for the next agent-loop requests, first-in first-out; text "ok" when empty. */
  script: Reply[];
  /** Resolves with the first agent-loop request after index `from` whose text satisfies `test`, or null after `timeoutMs`. */
  waitForTurn(test: (r: Recorded) => boolean, timeoutMs: number, from?: number): Promise<Recorded | null>;
}

const enc = (data: { type: string } & Record<string, unknown>) => `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
const rid = (prefix: string) => `${prefix}_${crypto.randomUUID().replaceAll("-", "")}`;

/** The SSE body of `reply` as the Responses API streams it. */
export function sse(reply: Reply, model = "gpt-5"): string {
  const id = rid("resp");
  const usage = { input_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 15 };
  const base = { id, object: "response", created_at: Math.floor(Date.now() / 1000), model, output: [] as unknown[] };
  const parts = [enc({ type: "response.created", response: { ...base, status: "in_progress" } })];
  let item: Record<string, unknown>;
  if ("text" in reply) {
    const itemId = rid("msg");
    item = { type: "message", id: itemId, role: "assistant", status: "completed", content: [{ type: "output_text", text: reply.text, annotations: [] }] };
    parts.push(
      enc({ type: "response.output_item.added", output_index: 0, item: { ...item, status: "in_progress", content: [] } }),
      enc({ type: "response.content_part.added", item_id: itemId, output_index: 0, content_index: 0, part: { type: "output_text", text: "", annotations: [] } }),
      enc({ type: "response.output_text.delta", item_id: itemId, output_index: 0, content_index: 0, delta: reply.text }),
      enc({ type: "response.output_text.done", item_id: itemId, output_index: 0, content_index: 0, text: reply.text }),
      enc({ type: "response.content_part.done", item_id: itemId, output_index: 0, content_index: 0, part: { type: "output_text", text: reply.text, annotations: [] } }),
    );
  } else {
    const itemId = rid("fc");
    const args = JSON.stringify(reply.input);
    item = { type: "function_call", id: itemId, call_id: rid("call"), name: reply.tool, ...(reply.namespace !== undefined && { namespace: reply.namespace }), arguments: args, status: "completed" };
    parts.push(
      enc({ type: "response.output_item.added", output_index: 0, item: { ...item, arguments: "", status: "in_progress" } }),
      enc({ type: "response.function_call_arguments.delta", item_id: itemId, output_index: 0, delta: args }),
      enc({ type: "response.function_call_arguments.done", item_id: itemId, output_index: 0, arguments: args }),
    );
  }
  parts.push(
    enc({ type: "response.output_item.done", output_index: 0, item }),
    enc({ type: "response.completed", response: { ...base, status: "completed", output: [item], usage } }),
  );
  return parts.join("");
}

/** True for a request of the agent loop: it offers tools (Codex's title request offers none). */
function isTurn(body: any): boolean {
  return Array.isArray(body?.tools) && body.tools.length > 0;
}

/** Starts the stand-in on a free loopback port. */
export function startResponsesApi(): ResponsesApi {
  const requests: Recorded[] = [];
  const script: Reply[] = [];
  const listeners = new Set<() => void>();
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(req) {
      const url = new URL(req.url);
      if (req.method !== "POST" || !url.pathname.endsWith("/responses")) return Response.json({});
      const text = await req.text();
      let body: any = {};
      try {
        body = JSON.parse(text);
      } catch {}
      const turn = isTurn(body);
      const reply: Reply = turn ? (script.shift() ?? { text: "ok" }) : { text: "A title" };
      requests.push({ at: performance.now(), body, text });
      for (const l of listeners) l();
      if (reply.delayMs !== undefined) await Bun.sleep(reply.delayMs);
      const model = typeof body.model === "string" ? body.model : "gpt-5";
      return new Response(sse(reply, model), { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
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
        const check = () => {
          const r = found();
          if (r !== null) done(r);
        };
        const done = (r: Recorded | null) => {
          clearTimeout(timer);
          listeners.delete(check);
          resolve(r);
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
