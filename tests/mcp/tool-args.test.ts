/** mcp/tools/_tool.ts parseArgs: legacy aliases, numbers sent as text, unknown keys dropped, errors with an example. */
import { expect, test } from "bun:test";
import { ToolInputError } from "../../src/mcp/errors.ts";
import { parseArgs } from "../../src/mcp/tools/_tool.ts";
import { TOOLS_BY_NAME } from "../../src/mcp/tools/index.ts";

const tool = (name: string) => TOOLS_BY_NAME.get(name)!;

test("legacy names: to_id is to (a current name wins), from_id / instance_id are dropped", () => {
  expect(parseArgs(tool("send"), { to_id: "fred", content: "hi", from_id: "x", instance_id: "y" })).toEqual({ to: "fred", content: "hi" });
  expect(parseArgs(tool("send"), { to: "barney", to_id: "fred", content: "hi" })).toEqual({ to: "barney", content: "hi" });
  expect(parseArgs(tool("rename"), { new_id: "fred2", old_id: "fred" })).toEqual({ new_name: "fred2", old_id: "fred" }); // old_id is checked: only your own name
});

test("a number sent as text is taken as the number", () => {
  expect(parseArgs(tool("read_message"), { message_id: "41" })).toEqual({ message_id: 41 });
  expect(parseArgs(tool("read_message"), { message_id: "#41" })).toEqual({ message_id: 41 });
  expect(parseArgs(tool("check"), { wait: "30" })).toMatchObject({ wait: 30 });
});

test("missing or wrong arguments: one sentence naming the field, with an example", () => {
  expect(() => parseArgs(tool("send"), { content: "hi" })).toThrow(ToolInputError);
  expect(() => parseArgs(tool("send"), { content: "hi" })).toThrow(/"to".*Example/s);
  expect(() => parseArgs(tool("read_message"), { message_id: "forty-one" })).toThrow(/message_id/);
  expect(() => parseArgs(tool("send"), null)).toThrow(/"to"/);
});
