/**
 * docs/wake.md shows the exact hook entries of each host: they must be what
 * `ipc setup <host> --hooks` writes (the command written as `ipc`), the edit
 * guard of file claims included.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ipc, ipcEnv } from "../helpers/processes.ts";

const DOC = readFileSync(resolve(import.meta.dir, "../../docs/wake.md"), "utf8");

/** The JSON blocks of the doc that hold hooks, by the `ipc hook <host>` their commands run. */
function docEntries(): Map<string, unknown> {
  const found = new Map<string, unknown>();
  for (const m of DOC.matchAll(/```json\n([\s\S]*?)```/g)) {
    const host = /"ipc hook ([a-z-]+)/.exec(m[1]!)?.[1];
    if (host !== undefined) found.set(host, JSON.parse(m[1]!));
  }
  return found;
}

test.each(["claude-code", "codex", "gemini", "cursor"])("docs/wake.md: the %s hook entries are what `ipc setup --hooks` writes", async (host) => {
  const shown = docEntries().get(host);
  expect(shown).toBeDefined();
  const home = mkdtempSync(join(tmpdir(), "ipc-wake-docs-"));
  const e = ipcEnv({ HOME: home, CODEX_HOME: join(home, ".codex"), IPC_HOME: "", IPC_PORT: "" });
  const r = await ipc(e, ["setup", host, "--hooks", "--json"]);
  expect(r.code).toBe(0);
  // whatever runs ipc here (bun src/main.ts, or a compiled binary) is written `ipc` in the doc
  const written = JSON.parse(JSON.parse(r.stdout).hooks.text.replace(/"command": "[^"]*? (guard )?hook /g, '"command": "ipc $1hook '));
  expect(written).toEqual(shown);
});

test("docs/wake.md: the table has every host", () => {
  for (const title of ["Claude Code 2.1.332", "Codex", "Gemini CLI", "Cursor", "Windsurf"]) expect(DOC).toContain(`| ${title}`);
});
