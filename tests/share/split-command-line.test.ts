/** splitCommandLine: simple quoting, no shell, no expansion; formatCommandLine round-trips through it. */
import { describe, expect, test } from "bun:test";
import { IpcError } from "../../src/protocol/errors.ts";
import { formatCommandLine, splitCommandLine } from "../../src/share/share-command.ts";

describe("splitCommandLine", () => {
  test("splits on runs of blanks", () => {
    expect(splitCommandLine("git status  --short")).toEqual(["git", "status", "--short"]);
    expect(splitCommandLine("  a\tb\nc  ")).toEqual(["a", "b", "c"]);
    expect(splitCommandLine("")).toEqual([]);
    expect(splitCommandLine("   ")).toEqual([]);
  });

  test("single quotes are literal, double quotes group words", () => {
    expect(splitCommandLine(`echo 'a  b' "c  d"`)).toEqual(["echo", "a  b", "c  d"]);
    expect(splitCommandLine(`echo 'say "hi"' "it's"`)).toEqual(["echo", 'say "hi"', "it's"]);
    expect(splitCommandLine(`echo 'a\\nb'`)).toEqual(["echo", "a\\nb"]);
    expect(splitCommandLine(`x'y'"z"w`)).toEqual(["xyzw"]);
  });

  test("empty quotes give an empty argument", () => {
    expect(splitCommandLine(`grep '' file ""`)).toEqual(["grep", "", "file", ""]);
  });

  test("backslash escapes outside quotes, and only \\\" \\\\ \\$ \\` inside double quotes", () => {
    expect(splitCommandLine(`echo a\\ b \\'c\\'`)).toEqual(["echo", "a b", "'c'"]);
    expect(splitCommandLine(`echo "a\\"b" "c\\\\d" "e\\$f" "g\\nh"`)).toEqual(["echo", 'a"b', "c\\d", "e$f", "g\\nh"]);
    expect(splitCommandLine("a\\\nb")).toEqual(["ab"]);
    expect(splitCommandLine("trailing\\")).toEqual(["trailing\\"]);
  });

  test("shell syntax stays literal: $, backticks, ;, |, &, redirections, globs, ~", () => {
    expect(splitCommandLine("echo $HOME `id` a;b | c && d > out * ~")).toEqual([
      "echo", "$HOME", "`id`", "a;b", "|", "c", "&&", "d", ">", "out", "*", "~",
    ]);
    expect(splitCommandLine(`echo "$(whoami)" '$(id)'`)).toEqual(["echo", "$(whoami)", "$(id)"]);
  });

  test("an unterminated quote is a clear error", () => {
    expect(() => splitCommandLine("echo 'oops")).toThrow(IpcError);
    expect(() => splitCommandLine(`echo "oops`)).toThrow(/unterminated " quote/);
  });
});

describe("formatCommandLine", () => {
  test("quotes only what needs it, and splitCommandLine gives the argv back", () => {
    expect(formatCommandLine(["git", "log", "-5", "--format=%h"])).toBe("git log -5 --format=%h");
    const argvs = [
      ["echo", "a;b", "$(whoami)", "|", "cat"],
      ["printf", "it's", "", "tab\there", 'q"uote', "back\\slash", "new\nline"],
    ];
    for (const argv of argvs) expect(splitCommandLine(formatCommandLine(argv))).toEqual(argv);
  });
});
