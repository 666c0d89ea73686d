/**
 * docs/hosts.md's "Set up your AI host" section, and the README's one host
 * (Claude Code), are made from `ipc setup` output: each host's subsection
 * names an `ipc setup …` command and shows a snippet; running that command
 * with the compiled binary must print exactly that snippet (the binary's path
 * written as /home/you/.local/bin/ipc).
 */
import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { HOSTS } from "../../src/setup/hosts.ts";
import { compiledBinary } from "../helpers/binary.ts";
import { ipc, ipcEnv } from "../helpers/processes.ts";

const ROOT = resolve(import.meta.dir, "../..");
const README = readFileSync(resolve(ROOT, "README.md"), "utf8");
const HOSTS_DOC = readFileSync(resolve(ROOT, "docs/hosts.md"), "utf8");
const README_BINARY = "/home/you/.local/bin/ipc";

/** The text of the markdown section under `heading`, up to the next heading of the same or a higher level. */
function section(text: string, heading: string): string {
  const level = heading.match(/^#+/)![0].length;
  const start = text.indexOf(`\n${heading}\n`);
  if (start === -1) throw new Error(`no "${heading}" heading`);
  const rest = text.slice(start + heading.length + 2);
  const next = rest.search(new RegExp(`^#{1,${level}} `, "m"));
  return next === -1 ? rest : rest.slice(0, next);
}

const hosts = section(HOSTS_DOC, "## Set up your AI host");

/** Runs the `ipc setup …` command named in `body` and expects it to print the snippet shown there. */
async function expectSnippet(body: string, id: string): Promise<void> {
  const command = body.match(/`(ipc setup [^`]+)`/)?.[1];
  expect(command).toStartWith(`ipc setup ${id}`);
  const snippet = body.match(/```(?:json|toml)\n([\s\S]*?)```/)?.[1];
  expect(snippet).toBeDefined();

  const binary = await compiledBinary();
  const e = { ...ipcEnv({ HOME: mkdtempSync(join(tmpdir(), "ipc-readme-home-")), IPC_HOME: "", IPC_PORT: "" }), cmd: [binary] };
  const r = await ipc(e, command!.split(" ").slice(1));
  expect(r.code).toBe(0);
  expect(r.stdout.replaceAll(binary, README_BINARY)).toBe(snippet!);
}

test.each(HOSTS.map((h) => [h.title, h.id] as const))("docs/hosts.md: the %s snippet is what `ipc setup` prints", async (title, id) => {
  await expectSnippet(section(hosts, `### ${title}`), id);
});

test("README: the Claude Code snippet is what `ipc setup` prints", async () => {
  await expectSnippet(section(section(README, "## Set up an AI host"), "### Claude Code"), "claude-code");
});

test("docs/hosts.md: every host has a subsection, and the MCP section points to it", () => {
  const titles = [...hosts.matchAll(/^### (.+)$/gm)].map((m) => m[1]);
  expect(titles).toEqual(HOSTS.map((h) => h.title));
  const mcp = section(HOSTS_DOC, "## Use it from an AI host (`ipc mcp`)");
  expect(mcp).toContain("(#set-up-your-ai-host)");
  expect(mcp).not.toMatch(/"mcpServers"|\[mcp_servers/);
});
