/**
 * Property-based fuzzing (fast-check) of the NDJSON decoder and of the broker
 * behind it: random bytes, truncated UTF-8, deep nesting, huge numbers, wrong
 * types and prototype-pollution keys. The broker answers every line, never
 * with INTERNAL, and keeps serving other connections.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import fc from "fast-check";
import { FrameDecoder, FrameTooLarge } from "../../src/protocol/ndjson.ts";
import { OPS } from "../../src/broker/ops/index.ts";
import { testBroker } from "../helpers/broker.ts";
import { RawClient } from "../helpers/raw.ts";

export const FUZZ_RUNS = { decoder: 500, bytes: 300, json: 1000, ops: 1500 };

test(`decoder: any chunking of any bytes yields the same frames as one split (${FUZZ_RUNS.decoder} cases)`, () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), fc.uint8Array({ maxLength: 8 }), (chunks, cuts) => {
      const all = Buffer.concat(chunks.map((c) => Buffer.from(c)));
      const expected = collect(new FrameDecoder(1 << 20), [all]);
      // Re-chunk at arbitrary points.
      const pieces: Uint8Array[] = [];
      let at = 0;
      for (const c of cuts) {
        const end = Math.min(all.length, at + c);
        pieces.push(all.subarray(at, end));
        at = end;
      }
      pieces.push(all.subarray(at));
      expect(collect(new FrameDecoder(1 << 20), pieces)).toEqual(expected);
    }),
    { numRuns: FUZZ_RUNS.decoder },
  );
});

test("decoder: a line over the limit throws FrameTooLarge, complete or not", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 200 }), fc.boolean(), (limit, extra, terminated) => {
      const d = new FrameDecoder(limit);
      const line = Buffer.from(`${"a".repeat(limit + extra)}${terminated ? "\n" : ""}`);
      expect(() => d.push(line, { frame() {}, invalid() {} })).toThrow(FrameTooLarge);
    }),
    { numRuns: 200 },
  );
});

function collect(d: FrameDecoder, pieces: Uint8Array[]): string[] {
  const out: string[] = [];
  for (const p of pieces) d.push(p, { frame: (t) => out.push(`F${t}`), invalid: (r) => out.push(`I${r}`) });
  return out;
}

// ---- the broker behind the decoder ------------------------------------------------------------

let broker: Awaited<ReturnType<typeof testBroker>>;
let fuzzer: RawClient;
let bystander: RawClient;
let token = "";

beforeAll(async () => {
  broker = await testBroker({ IPC_RATE_LIMIT: "0", IPC_MAX_FRAME_BYTES: String(256 * 1024) });
  fuzzer = await RawClient.connect(broker.port);
  bystander = await RawClient.connect(broker.port);
  token = (await bystander.call({ id: 0, op: "register", name: "bystander" })).token;
  await fuzzer.call({ id: 0, op: "register", name: "fuzzer" });
});
afterAll(async () => {
  fuzzer.close();
  bystander.close();
  await broker.stop();
});

/** Sends one line; expects exactly one answer that is not INTERNAL. Returns it. */
async function probe(line: string | Uint8Array): Promise<any> {
  fuzzer.write(line);
  fuzzer.write("\n");
  const r = await fuzzer.frame(5_000);
  if (r.ok === false) expect(r.error.code).not.toBe("INTERNAL");
  return r;
}

const PROTO_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty"];
const nasty = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(1e308, -1e308, 2 ** 53 + 1, -0, 1.5, Number.MAX_SAFE_INTEGER),
  fc.string(),
  fc.constantFrom(null, true, false, [], {}),
);
const deep = fc.integer({ min: 1, max: 5_000 }).map((n) => `${"[".repeat(n)}${"]".repeat(n)}`);
const pollution = fc.constantFrom(...PROTO_KEYS).chain((k) =>
  fc.jsonValue().map((v) => `{"id":1,"op":"send","to":"bystander","content":"x","data":{"${k}":${JSON.stringify(v) ?? "null"}},"${k}":{"op":"status"}}`),
);

test(`broker: random bytes and truncated UTF-8 get BAD_REQUEST (${FUZZ_RUNS.bytes} cases)`, async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (bytes) => {
      const clean = Buffer.from(bytes.filter((b) => b !== 10 && b !== 13));
      if (clean.toString().trim() === "") return;
      const r = await probe(clean);
      expect(r.ok).toBe(false);
      expect(["BAD_REQUEST", "INVALID_NAME", "UNAUTHENTICATED"]).toContain(r.error.code);
    }),
    { numRuns: FUZZ_RUNS.bytes },
  );
  // Truncated multi-byte sequences inside an otherwise valid frame.
  for (const tail of [[0xe2], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xc3]]) {
    const frame = Buffer.concat([Buffer.from('{"id":5,"op":"status","x":"'), Buffer.from(tail), Buffer.from('"}')]);
    expect((await probe(frame)).error.code).toBe("BAD_REQUEST");
  }
});

test(`broker: any JSON value, deep nesting, huge numbers, prototype keys (${FUZZ_RUNS.json} cases)`, async () => {
  await fc.assert(
    fc.asyncProperty(fc.oneof(nasty.map((v) => JSON.stringify(v) ?? "null"), deep, pollution), async (line) => {
      await probe(line);
    }),
    { numRuns: FUZZ_RUNS.json },
  );
  expect(Object.prototype.hasOwnProperty.call(Object.prototype, "op")).toBe(false);
  expect(({} as Record<string, unknown>).op).toBeUndefined();
});

test(`broker: every op with wrong, missing and extreme fields (${FUZZ_RUNS.ops} cases)`, async () => {
  const ops = Object.keys(OPS).filter((op) => op !== "shutdown");
  const fields = ["id", "name", "to", "content", "data", "reply_to", "wait", "peek", "limit", "from", "message_id", "new_name", "with", "before", "query", "consume", "auth", "token", ...PROTO_KEYS];
  const request = fc.record({
    op: fc.constantFrom(...ops),
    fields: fc.dictionary(fc.constantFrom(...fields), nasty, { maxKeys: 6 }),
  });
  await fc.assert(
    fc.asyncProperty(request, async ({ op, fields: f }) => {
      const frame: Record<string, unknown> = { ...f, op };
      if (typeof frame.wait === "number") frame.wait = Math.min(Math.abs(frame.wait), 0.01);
      const r = await probe(JSON.stringify(frame));
      expect(typeof r.ok).toBe("boolean");
    }),
    { numRuns: FUZZ_RUNS.ops },
  );
});

test("extreme nesting in a frame and inside data is refused, not a crash", async () => {
  const n = 100_000;
  expect((await probe(`${"[".repeat(n)}${"]".repeat(n)}`)).error.code).toBe("BAD_REQUEST");
  const nested = `${'{"a":'.repeat(40_000)}1${"}".repeat(40_000)}`; // 240 KB, under the 256 KiB frame limit
  const r = await probe(`{"id":9,"op":"send","to":"bystander","content":"deep","data":${nested}}`);
  expect(r.id).toBe(9);
  expect(r.ok).toBe(false); // data nests 40 000 deep, over the 64-level limit
  expect(r.error.code).toBe("BAD_REQUEST");
});

test("after all that, the broker still serves other connections, and the sessions made before it still work", async () => {
  expect((await bystander.call({ id: 1, op: "whoami" })).name).toBe("bystander");
  expect((await fuzzer.call({ id: 2, op: "status" })).ok).toBe(true);
  await using again = await RawClient.connect(broker.port);
  expect((await again.call({ id: 1, op: "auth", token })).ok).toBe(true);
  const sent = await again.call({ id: 2, op: "send", to: "bystander", content: "still here" });
  expect(sent.ok).toBe(true);
  const got = await bystander.call({ id: 3, op: "read", message_id: sent.message_id });
  expect(got.message).toMatchObject({ from: "bystander", to: "bystander", content: "still here" });
});
