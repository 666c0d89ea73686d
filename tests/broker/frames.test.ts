/** The send's own answer frame (issue 25) is byte for byte okFrame's, whatever the id. */
import { expect, test } from "bun:test";
import { okFrame, okFrameFromJson, SendAnswer, sendAnswerFrame } from "../../src/broker/edge/frames.ts";

/** Request ids as they reach okFrame: validated ids, and the null of an id-less request. */
const IDS: unknown[] = [0, 1, 7, -3, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, "req-1", 'q"uote\\', "é ✓\u2028", "", null, undefined, 1.5, 1e21, Number.MAX_SAFE_INTEGER + 2, -0, Number.NaN, Number.POSITIVE_INFINITY];

/** The JSON.stringify-built frame: `{"id":…,"ok":true,…result}\n`. */
function reference(id: unknown, result: object): string {
  return `${JSON.stringify({ id: id ?? null, ok: true, ...result })}\n`;
}

test("okFrame and okFrameFromJson write what JSON.stringify writes, for every kind of id", () => {
  for (const id of IDS) {
    for (const result of [{}, { a: 1 }, { messages: [{ x: "y" }], more: true }]) {
      expect(okFrame(id, result)).toBe(reference(id, result));
      expect(okFrameFromJson(id, JSON.stringify(result))).toBe(reference(id, result));
    }
  }
});

test("a send's answer frame is okFrame's answer for {message_id, to, status}", () => {
  for (const id of IDS) {
    for (const to of ["sink", "a_b-c9", "x".repeat(32), "#backend"]) {
      for (const status of ["delivered", "notified", "queued", "future", "forwarded"]) {
        for (const messageId of [1, 42, 9_007_199_254_740_991]) {
          const hand = sendAnswerFrame(id, new SendAnswer(messageId, to, status));
          expect(hand).toBe(okFrame(id, { message_id: messageId, to, status }));
          expect(hand).toBe(reference(id, { message_id: messageId, to, status }));
          expect(JSON.parse(hand)).toEqual({ id: id === undefined ? null : JSON.parse(JSON.stringify(id)), ok: true, message_id: messageId, to, status });
        }
      }
    }
  }
});
