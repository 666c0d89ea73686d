/**
 * A stand-in for the Gemini API (generativelanguage.googleapis.com v1beta) on
 * 127.0.0.1, for running the real Gemini CLI without a network (it reads
 * GOOGLE_GEMINI_BASE_URL). Every request is recorded.
 * - `POST …/models/<m>:streamGenerateContent?alt=sse` (a turn of the agent
 *   loop) answers the next scripted reply as Server-Sent Events, one
 *   `data: <GenerateContentResponse>` chunk (Gemini API streaming format:
 *   candidates[0].content.parts = [{text}] or [{functionCall: {name, args}}],
 *   finishReason STOP, usageMetadata).
 * - `POST …/models/<m>:generateContent` (side requests: Gemini CLI's model
 *   router asks a flash-lite model for a JSON verdict) answers a JSON text that
 *   satisfies each of its routers' schemas, choosing the flash model.
 * - `…:countTokens` answers a small count; anything else an empty JSON object.
 */

/** One scripted answer: plain text, or a call of one function (then Gemini CLI runs it and asks again); `delayMs` keeps the turn busy that long first. */
export type GeminiReply = ({ text: string } | { call: string; args: Record<string, unknown> }) & { delayMs?: number };

/** A recorded request. */
export interface GeminiRecorded {
  /** performance.now() when it arrived (ms). */
  at: number;
  /** The path and query, e.g. /v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse. */
  path: string;
  body: any;
  /** The whole body as text, for "does it contain …" checks. */
  text: string;
}

export interface GeminiApi extends AsyncDisposable {
  url: string;
  /** Every request so far, oldest first. */
  requests: GeminiRecorded[];
  /** Requests of the agent loop (streamGenerateContent), oldest first. */
  turns(): GeminiRecorded[];
  /** Answers for the next agent-loop requests, first in first out; text "ok" when empty. */
  script: GeminiReply[];
  /** The first agent-loop request after index `from` whose text satisfies `test`, or null after `timeoutMs`. */
  waitForTurn(test: (r: GeminiRecorded) => boolean, timeoutMs: number, from?: number): Promise<GeminiRecorded | null>;
}

/** The GenerateContentResponse of `reply`. */
function response(reply: GeminiReply, model: string): Record<string, unknown> {
  const part = "text" in reply ? { text: reply.text } : { functionCall: { name: reply.call, args: reply.args } };
  return {
    candidates: [{ content: { role: "model", parts: [part] }, finishReason: "STOP", index: 0 }],
    usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 },
    modelVersion: model,
    responseId: crypto.randomUUID(),
  };
}

/** The routers' verdict: the fields of each of Gemini CLI 0.61's classifier schemas, all choosing the small model. */
const ROUTE = JSON.stringify({ reasoning: "a bounded task", model_choice: "flash", complexity_reasoning: "a bounded task", complexity_score: 10 });

/** The text of the last user message of a request body (the prompt, a hook's reason, or a function response). */
export function lastUserText(body: any): string {
  const contents = Array.isArray(body?.contents) ? body.contents : [];
  for (let i = contents.length - 1; i >= 0; i--) {
    const c = contents[i];
    if (c?.role !== "user") continue;
    return JSON.stringify(c.parts ?? []);
  }
  return "";
}

/** The function names a request offers the model. */
export function offeredFunctions(body: any): string[] {
  const tools = Array.isArray(body?.tools) ? body.tools : [];
  return tools.flatMap((t: any) => (Array.isArray(t?.functionDeclarations) ? t.functionDeclarations.map((f: any) => String(f?.name)) : []));
}

/** Starts the stand-in on a free loopback port. */
export function startGeminiApi(): GeminiApi {
  const requests: GeminiRecorded[] = [];
  const script: GeminiReply[] = [];
  const listeners = new Set<() => void>();
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const text = req.method === "POST" ? await req.text() : "";
      let body: any = {};
      try {
        body = JSON.parse(text);
      } catch {}
      const path = `${url.pathname}${url.search}`;
      const model = /models\/([^:/]+):/.exec(url.pathname)?.[1] ?? "gemini-2.5-flash";
      const turn = url.pathname.endsWith(":streamGenerateContent");
      const reply: GeminiReply = turn ? (script.shift() ?? { text: "ok" }) : { text: ROUTE };
      requests.push({ at: performance.now(), path, body, text });
      for (const l of listeners) l();
      if (url.pathname.endsWith(":countTokens")) return Response.json({ totalTokens: 10 });
      if (!turn && !url.pathname.endsWith(":generateContent")) return Response.json({});
      if (reply.delayMs !== undefined) await Bun.sleep(reply.delayMs);
      if (!turn) return Response.json(response(reply, model));
      return new Response(`data: ${JSON.stringify(response(reply, model))}\r\n\r\n`, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
    },
  });
  const turns = () => requests.filter((r) => r.path.includes(":streamGenerateContent"));
  return {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    script,
    turns,
    waitForTurn(test, timeoutMs, from = 0) {
      const found = () => turns().slice(from).find(test) ?? null;
      return new Promise((resolve) => {
        const now = found();
        if (now !== null) return resolve(now);
        const done = (r: GeminiRecorded | null) => {
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
