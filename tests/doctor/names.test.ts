/**
 * `ipc doctor` warns where host entries give several live sessions one name
 * (docs/identity.md): a fixed name at user scope, hooks acting as another
 * name than the MCP server of the same scope, one name in two hosts.
 * Entries written by `ipc setup` itself never warn.
 */
import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type IpcEnv, ipc, ipcEnv } from "../helpers/processes.ts";

function doctorEnv(): IpcEnv & { homeDir: string; project: string } {
  const homeDir = mkdtempSync(join(tmpdir(), "ipc-doctor-names-"));
  const project = join(homeDir, "webapp");
  mkdirSync(project);
  return { ...ipcEnv({ HOME: homeDir, CODEX_HOME: "" }), homeDir, project };
}

const nameWarnings = async (e: IpcEnv & { project: string }): Promise<Array<{ message: string; fix: string }>> => {
  const r = await ipc(e, ["doctor", "--json", "--no-spawn"]);
  return JSON.parse(r.stdout).findings.filter((f: { check: string }) => f.check === "names");
};

test("entries ipc setup writes (user scope: a seat; project scope: the name given) raise no name warning", async () => {
  const e = doctorEnv();
  expect((await ipc(e, ["setup", "claude-code", "--write", "--hooks"])).code).toBe(0);
  expect((await ipc(e, ["setup", "gemini", "--write", "--name", "gemini"])).code).toBe(0);
  expect((await ipc(e, ["setup", "claude-code", "--write", "--hooks", "--scope", "project", "--dir", e.project, "--name", "fred"])).code).toBe(0);
  expect(await nameWarnings(e)).toEqual([]);
});

test("a fixed name at user scope, hooks acting as another name, and one name in two hosts are warnings with a fix", async () => {
  const e = doctorEnv();
  const entry = (name: string) => ({ mcpServers: { ipc: { type: "stdio", command: "/bin/true", args: ["mcp"], env: { IPC_NAME: name } } } });
  writeFileSync(join(e.homeDir, ".claude.json"), JSON.stringify(entry("claude")));
  mkdirSync(join(e.homeDir, ".cursor"));
  writeFileSync(join(e.homeDir, ".cursor", "mcp.json"), JSON.stringify(entry("claude")));
  mkdirSync(join(e.homeDir, ".claude"));
  const hook = { hooks: { SessionStart: [{ hooks: [{ type: "command", command: "/bin/ipc hook claude-code --as barney" }] }] } };
  writeFileSync(join(e.homeDir, ".claude", "settings.json"), JSON.stringify(hook));

  const warnings = await nameWarnings(e);
  const messages = warnings.map((w) => w.message).join("\n");
  expect(messages).toContain(`Claude Code: ${join(e.homeDir, ".claude.json")} gives every session the fixed name claude`);
  expect(messages).toContain("Cursor:");
  expect(messages).toContain("hooks in");
  expect(messages).toContain("act as barney, but the MCP server registers claude");
  expect(messages).toMatch(/Claude Code .* and Cursor .* all register claude/);
  expect(warnings.find((w) => w.message.includes("fixed name claude"))!.fix).toContain("ipc setup claude-code --write");

  // The fix the warning names clears it.
  expect((await ipc(e, ["setup", "claude-code", "--write", "--hooks"])).code).toBe(0);
  expect((await ipc(e, ["setup", "cursor", "--write"])).code).toBe(0);
  expect(await nameWarnings(e)).toEqual([]);
});
