/** cli/options.ts and cli/suggest.ts: which option words a command accepts, and "did you mean". */
import { expect, test } from "bun:test";
import type { ArgsDef } from "citty";
import { knownOptions, rejectUnknownOptions } from "../../src/cli/options.ts";
import { closest, editDistance } from "../../src/cli/suggest.ts";

const args: ArgsDef = {
  to: { type: "positional" },
  peek: { type: "boolean" },
  replyTo: { type: "string", alias: ["r"] },
  spawn: { type: "boolean", default: true },
};

test("knownOptions: long names, their kebab-case, --no- for booleans, aliases; no positionals", () => {
  const known = knownOptions(args);
  expect([...known].sort()).toEqual(["--no-peek", "--no-spawn", "--peek", "--reply-to", "--replyTo", "--spawn", "-r"]);
});

test("rejectUnknownOptions: known, global, `-` and words after -- pass; a typo fails with a suggestion", () => {
  expect(() => rejectUnknownOptions("ipc send", args, ["fred", "--peek", "--reply-to=3", "-"], ["--json"])).not.toThrow();
  expect(() => rejectUnknownOptions("ipc send", args, ["fred", "--json"], ["--json"])).not.toThrow();
  expect(() => rejectUnknownOptions("ipc send", args, ["fred", "--peak"])).toThrow(/unknown option --peak for ipc send; did you mean --peek\?.*put them after --/);
  expect(() => rejectUnknownOptions("ipc send", args, ["--force"])).toThrow(/unknown option --force for ipc send \(see ipc send --help\)/);
});

test("closest: typos within two edits, prefixes, nothing for unrelated words", () => {
  expect(editDistance("chek", "check")).toBe(1);
  expect(editDistance("sned", "send")).toBe(1);
  expect(closest("sned", ["send", "serve"])).toBe("send");
  expect(closest("chek", ["check", "send", "list"])).toBe("check");
  expect(closest("fredd", ["fred", "barney"])).toBe("fred");
  expect(closest("broa", ["broadcast", "read"])).toBe("broadcast");
  expect(closest("xyz", ["check", "send"])).toBeUndefined();
  expect(closest("ab", ["abc"])).toBeUndefined(); // two letters are too few to guess from
});
