/**
 * A stand-in for the Anthropic Messages API on 127.0.0.1, for running the
 * real Claude Code without a network: `POST /v1/messages` answers with a
 * scripted Server-Sent-Events stream (Messages API streaming format: message_start,
 * content_block_start/delta/stop, message_delta, message_stop) and every
 * request is recorded. Anything else gets an empty JSON object.
 */

/** One scripted answer: plain text, or a call of one tool (then the model waits for its result); `delayMs` keeps the session busy that long first. */
export type Reply = ({ text: string } | { tool: string; input: Record<string, unknown> }) & { delayMs?: number };

/** A recorded POST /v1/messages request. */
export interface Recorded {
  /** performance.now() when it arrived (ms). */
  at: number;
  body: any;
  /** The whole request body as text, for "does it contain …" checks. */
  text: string;
}

export interface MessagesApi extends AsyncDisposable {
  url: string;
  /** Every POST /v1/messages so far, oldest first. */
  requests: Recorded[];
  /** Requests of the main agent loop (those that offer tools), oldest first. */
  turns(): Recorded[];
  /** Answers for the next main-loop requests, used first-in first-out; text "ok" when empty. */
  script: Reply[];
  /** Resolves with the first main-loop request after index `from` whose text satisfies `test`, or null after `timeoutMs`. */
  waitForTurn(test: (r: Recorded) => boolean, timeoutMs: number, from?: number): Promise<Recorded | null>;
  /** Resolves after the next main-loop request arrives; its performance.now() stamp. */
  nextTurnAt(): Promise<number>;
}

const enc = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/** The SSE body of `reply` as the Messages API streams it. */
export function sse(reply: Reply, model = "claude-sonnet-4-5"): string {
  const usage = { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  const id = `msg_${crypto.randomUUID().replaceAll("-", "")}`;
  const parts = [enc("message_start", { type: "message_start", message: { id, type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null, usage } })];
  if ("text" in reply) {
    parts.push(
      enc("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
      enc("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: reply.text } }),
      enc("content_block_stop", { type: "content_block_stop", index: 0 }),
      enc("message_delta", { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 5 } }),
    );
  } else {
    const toolId = `toolu_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
    parts.push(
      enc("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "tool_use", id: toolId, name: reply.tool, input: {} } }),
      enc("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: JSON.stringify(reply.input) } }),
      enc("content_block_stop", { type: "content_block_stop", index: 0 }),
      enc("message_delta", { type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { output_tokens: 5 } }),
    );
  }
  parts.push(enc("message_stop", { type: "message_stop" }));
  return parts.join("");
}

/** A JSON (non-streaming) Messages API answer with text `text`. */
function plainMessage(text: string, model: string) {
  return {
    id: `msg_${crypto.randomUUID().replaceAll("-", "")}`,
    type: "message",
    role: "assistant",
    model,
    content: [{ type: "text", text }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: 5 },
  };
}

/** True for a request of the main agent loop: it offers tools (side requests, such as titles, offer none). */
function isTurn(body: any): boolean {
  return Array.isArray(body?.tools) && body.tools.length > 0;
}

/** Starts the stand-in on a free loopback port. */
export function startMessagesApi(): MessagesApi {
  const requests: Recorded[] = [];
  const script: Reply[] = [];
  const listeners = new Set<() => void>();
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      if (req.method !== "POST" || !url.pathname.endsWith("/v1/messages")) {
        if (url.pathname.endsWith("/count_tokens")) return Response.json({ input_tokens: 10 });
        return Response.json({});
      }
      const text = await req.text();
      let body: any = {};
      try {
        body = JSON.parse(text);
      } catch {}
      const turn = isTurn(body);
      const reply: Reply = turn ? (script.shift() ?? { text: "ok" }) : { text: "ok" };
      requests.push({ at: performance.now(), body, text });
      for (const l of listeners) l();
      if (reply.delayMs !== undefined) await Bun.sleep(reply.delayMs);
      const model = typeof body.model === "string" ? body.model : "claude-sonnet-4-5";
      if (body.stream !== true) return Response.json(plainMessage("text" in reply ? reply.text : "ok", model));
      return new Response(sse(reply, model), { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
    },
  });
  const turns = () => requests.filter((r) => isTurn(r.body));
  const api: MessagesApi = {
    url: `http://127.0.0.1:${server.port}`,
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
          if (r === null) return;
          done(r);
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
    nextTurnAt() {
      const count = turns().length;
      return new Promise((resolve) => {
        const check = () => {
          const all = turns();
          if (all.length <= count) return;
          listeners.delete(check);
          resolve(all[count]!.at);
        };
        listeners.add(check);
      });
    },
    async [Symbol.asyncDispose]() {
      await server.stop(true);
    },
  };
  return api;
}
