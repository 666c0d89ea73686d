/**
 * Every `ipc …` command shown in a fenced block of README.md or docs/ is one
 * the real CLI accepts: the command exists, its options are declared, its
 * required arguments are there (checked with the CLI's own parser, nothing run).
 */
import { expect, test } from "bun:test";
import { checkCommandLine } from "../../src/cli/command-line.ts";
import { splitCommandLine } from "../../src/share/share-command.ts";
import { documents, fences } from "./_docs.ts";

/** The `ipc …` commands of a shell block: one per line or per `&&`/`;`/`|` part, comments dropped. */
export function ipcCommands(block: string): string[] {
  const commands: string[] = [];
  for (const line of block.split("\n")) {
    const code = line.replace(/(^|\s)#.*$/, "").replace(/^\$ /, "");
    for (const part of code.split(/&&|;|\|/)) {
      const command = part.trim();
      if (command.startsWith("ipc ")) commands.push(command);
    }
  }
  return commands;
}

const shown = documents().flatMap(([path, text]) =>
  fences(text)
    .filter(([lang]) => lang === "sh" || lang === "bash")
    .flatMap(([, body]) => ipcCommands(body).map((c) => [path, c] as const)),
);

test("the docs show ipc commands at all", () => {
  expect(shown.length).toBeGreaterThan(15);
});

test.each(shown)("%s: `%s` parses", async (_path, command) => {
  await checkCommandLine(splitCommandLine(command).slice(1));
});

test("a mistyped command or option does not parse, and says what was meant", async () => {
  await expect(checkCommandLine(["chek"])).rejects.toThrow("did you mean check?");
  await expect(checkCommandLine(["check", "--peak"])).rejects.toThrow("did you mean --peek?");
  await expect(checkCommandLine(["setup", "codx"])).rejects.toThrow("did you mean codex?");
  await expect(checkCommandLine(["send"])).rejects.toThrow("TO");
});

test("ipcCommands takes each ipc command of a line, not comments or other programs", () => {
  expect(ipcCommands("ipc stop && ipc serve --detach   # restart\nnpm test\n$ ipc list")).toEqual(["ipc stop", "ipc serve --detach", "ipc list"]);
});
