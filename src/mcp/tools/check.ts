/**
 * check: read unread messages, optionally waiting for one. A wait never
 * consumes on its own: it waits with `peek`, then takes the messages in a
 * second request, so a call the host cancels mid-wait loses no message.
 */
import * as v from "valibot";
import { markChecked } from "../../auto-check/state.ts";
import { REQUEST_TIMEOUT_MS } from "../../client/broker-client.ts";
import type { Message } from "../../protocol/message.ts";
import { Name } from "../../protocol/names.ts";
import { count, messagesText } from "../format.ts";
import { limitField } from "./_fields.ts";
import { type ToolContext, defineTool } from "./_tool.ts";

/** Longest wait (s): hosts time tool calls out near 60 s. */
export const MAX_WAIT_S = 50;

export const CheckInput = v.object({
  wait: v.optional(
    v.pipe(
      v.number(),
      v.minValue(0),
      v.maxValue(MAX_WAIT_S, `wait is at most ${MAX_WAIT_S} seconds (hosts time tool calls out near 60 s); call check again to keep waiting`),
      v.description(`if no message is waiting, wait up to this many seconds for one (0–${MAX_WAIT_S}); returns the moment one arrives`),
    ),
  ),
  peek: v.optional(v.pipe(v.boolean(), v.description("show messages without marking them read"))),
  from: v.optional(v.pipe(Name, v.description("only messages from this name"))),
  limit: limitField(100, "messages"),
});
type CheckArgs = v.InferOutput<typeof CheckInput>;

async function take(ctx: ToolContext, a: CheckArgs): Promise<Message[]> {
  const { messages } = await ctx.agent.call("check", { peek: a.peek === true, ...(a.from && { from: a.from }), ...(a.limit && { limit: a.limit }) });
  return messages;
}

/**
 * Waits until a message is there or `deadline` (performance.now(), ms) passes. A retry after a
 * broker restart waits only for the time left. With `peek` it only looks (returns [] and the caller
 * reads with `take`); otherwise the wait is a deliverer's (docs/wake.md#delivery-states): what
 * arrives is leased to this call, returned in the tool result and acked `delivered`, so its sender
 * hears `delivered` (a tool result is the model's context), not `notified`.
 * @returns the messages leased and acked, or [] (nothing came, or peek: then `seen` says whether one is there).
 */
async function waitForMail(ctx: ToolContext, a: CheckArgs, deadline: number): Promise<{ seen: boolean; leased: Message[] }> {
  const left = () => Math.max(0, (deadline - performance.now()) / 1000);
  const deliver = a.peek !== true;
  const r = await ctx.agent.call(
    "check",
    () => ({ wait: left(), peek: true, ...(deliver ? { deliver: true, limit: a.limit ?? 100 } : { limit: 1 }), ...(a.from && { from: a.from }) }),
    () => REQUEST_TIMEOUT_MS + left() * 1000,
  );
  if (!deliver || r.messages.length === 0) return { seen: r.messages.length > 0, leased: [] };
  const ids = r.messages.map((m) => m.id);
  if (ctx.signal.aborted) {
    // The host gave up on the call: nobody will see these, so they stay unread for the next reader.
    await ctx.agent.call("ack", { message_ids: ids, delivered: false }).catch(() => {});
    return { seen: false, leased: [] };
  }
  // Acked before the result goes out; should the ack fail, the mail is shown anyway and stays unread (seen twice, never lost).
  await ctx.agent.call("ack", { message_ids: ids, delivered: true }).catch(() => {});
  return { seen: true, leased: r.messages };
}

export default defineTool({
  name: "check",
  title: "Check messages",
  description:
    'Read your unread messages, oldest first, and mark them read. Use for "check messages", "any mail?", "check my inbox", "wait for fred\'s answer" (with wait, e.g. 30). With peek they stay unread; with from, only that sender\'s.',
  input: CheckInput,
  example: '{"wait": 30}',
  hints: { openWorldHint: false },
  async run(a, ctx) {
    let messages = await take(ctx, a);
    const wait = a.wait ?? 0;
    const deadline = performance.now() + wait * 1000;
    // Another reader (the CLI as the same name) may take what the wait saw: wait again while time is left.
    while (messages.length === 0 && !ctx.signal.aborted) {
      if (deadline - performance.now() < 50) break;
      const w = await waitForMail(ctx, a, deadline);
      if (!w.seen || ctx.signal.aborted) break;
      messages = w.leased.length > 0 ? w.leased : await take(ctx, a);
    }
    if (!a.peek && ctx.identity.name !== null) markChecked(ctx.config, ctx.identity.name);
    const none = wait > 0 ? `No new messages after waiting ${Math.round(wait)} s.` : "No new messages.";
    return messagesText(messages, none, (n) => count(n, a.peek ? "unread message" : "new message"), ctx.identity.name);
  },
});
