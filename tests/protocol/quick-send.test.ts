/** quickSend (issue 25): the hand-checked `send` gives what the schema gives, or leaves the frame to the schema. */
import { expect, test } from "bun:test";
import * as v from "valibot";
import { quickSend, SendRequest } from "../../src/protocol/requests.ts";

const TOKEN = "t".repeat(43);

/** Frames quickSend must take, each exactly as valibot's SendRequest outputs it. */
const TAKEN: Record<string, unknown>[] = [
  { op: "send", to: "sink", content: "hello" },
  { id: 7, op: "send", to: "Fred", content: "" },
  { id: "req-1", op: "send", to: "#Backend", content: "x".repeat(10_000), token: TOKEN },
  { id: Number.MAX_SAFE_INTEGER, op: "send", to: "a_b-C9", content: "é ✓", extra: "dropped", from: "mallory" },
  { id: "x".repeat(128), op: "send", to: "x".repeat(32), content: "c", token: "t" },
];

/** Frames it must leave to the schema (most are errors the schema words; some are valid sends with data or reply_to). */
const LEFT: Record<string, unknown>[] = [
  { op: "check" },
  { op: "send", to: "sink", content: "c", data: { a: 1 } },
  { op: "send", to: "sink", content: "c", data: null },
  { op: "send", to: "sink", content: "c", reply_to: 3 },
  { op: "send", to: "sink" },
  { op: "send", content: "c" },
  { op: "send", to: 5, content: "c" },
  { op: "send", to: "sink", content: 5 },
  { op: "send", to: "", content: "c" },
  { op: "send", to: "x".repeat(33), content: "c" },
  { op: "send", to: "bad name", content: "c" },
  { op: "send", to: "##two", content: "c" },
  { op: "send", to: "System", content: "c" },
  { op: "send", to: "#all", content: "c" },
  { op: "send", to: "broadcast", content: "c" },
  { id: 1.5, op: "send", to: "sink", content: "c" },
  { id: "x".repeat(129), op: "send", to: "sink", content: "c" },
  { id: null, op: "send", to: "sink", content: "c" },
  { id: {}, op: "send", to: "sink", content: "c" },
  { op: "send", to: "sink", content: "c", token: "" },
  { op: "send", to: "sink", content: "c", token: "t".repeat(257) },
  { op: "send", to: "sink", content: "c", token: 5 },
];

test("a plain send is taken, with exactly the schema's output", () => {
  for (const frame of TAKEN) {
    const quick = quickSend(frame);
    expect(quick).not.toBeNull();
    expect(quick).toEqual(v.parse(SendRequest, frame));
  }
});

test("every other frame is left to the schema", () => {
  for (const frame of LEFT) expect([frame, quickSend(frame)]).toEqual([frame, null]);
  // Among them the valid ones still parse there.
  expect(v.safeParse(SendRequest, LEFT[1]).success).toBe(true);
  expect(v.safeParse(SendRequest, LEFT[3]).success).toBe(true);
  for (const frame of LEFT.slice(4)) expect([frame, v.safeParse(SendRequest, frame).success]).toEqual([frame, false]);
});
