/**
 * `ipc setup <host> --write` against temporary HOME and project directories,
 * through the real CLI: merging keeps other entries, a backup comes first,
 * a second run changes nothing, a malformed file is reported and left alone.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import * as TOML from "smol-toml";
import { type IpcEnv, ipc, ipcEnv } from "../helpers/processes.ts";

/** A fresh HOME and project directory, and the environment that uses them. */
function setupEnv(): IpcEnv & { homeDir: string; project: string } {
  const root = mkdtempSync(join(tmpdir(), "ipc-setup-"));
  const homeDir = join(root, "home");
  const project = join(root, "project");
  mkdirSync(homeDir, { recursive: true });
  mkdirSync(project, { recursive: true });
  // The default broker address (what users have): no IPC_HOME / IPC_PORT for the host to carry.
  const e = ipcEnv({ HOME: homeDir, CODEX_HOME: "", IPC_HOME: "", IPC_PORT: "" });
  return { ...e, homeDir, project };
}

function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

const backups = (file: string) => readdirSync(dirname(file)).filter((f) => f.startsWith(`${file.split("/").at(-1)}.`) && f.endsWith(".bak"));

interface Case {
  host: string;
  file: (e: { homeDir: string; project: string }) => string;
  args: string[];
  format: "json" | "toml";
}

const CASES: Case[] = [
  { host: "claude-code", file: (e) => join(e.homeDir, ".claude.json"), args: [], format: "json" },
  { host: "claude-code", file: (e) => join(e.project, ".mcp.json"), args: ["--scope", "project"], format: "json" },
  { host: "gemini", file: (e) => join(e.homeDir, ".gemini", "settings.json"), args: [], format: "json" },
  { host: "gemini", file: (e) => join(e.project, ".gemini", "settings.json"), args: ["--scope", "project"], format: "json" },
  { host: "codex", file: (e) => join(e.homeDir, ".codex", "config.toml"), args: [], format: "toml" },
  { host: "cursor", file: (e) => join(e.homeDir, ".cursor", "mcp.json"), args: [], format: "json" },
  { host: "cursor", file: (e) => join(e.project, ".cursor", "mcp.json"), args: ["--scope", "project"], format: "json" },
  { host: "windsurf", file: (e) => join(e.homeDir, ".codeium", "windsurf", "mcp_config.json"), args: [], format: "json" },
];

const EXISTING = {
  json: `{\n  "theme": "dark",\n  "mcpServers": {\n    "other": {\n      "command": "/usr/bin/other",\n      "args": ["serve"]\n    }\n  }\n}\n`,
  toml: `# my Codex settings\nmodel = "o3"\n\n[mcp_servers.other]\ncommand = "/usr/bin/other"\nargs = ["serve"]\n`,
};
const MALFORMED = { json: `{\n  "mcpServers": {\n    "other": { "command": "x" }\n  \n`, toml: `model = "o3"\n[mcp_servers.other\ncommand = "x"\n` };

const parse = (format: "json" | "toml", text: string): any => (format === "json" ? JSON.parse(text) : TOML.parse(text));
const servers = (format: "json" | "toml", doc: any) => (format === "json" ? doc.mcpServers : doc.mcp_servers);

describe.each(CASES)("ipc setup $host $args --write", (c) => {
  test("merges into an existing file, keeps other entries, backs it up; a second run changes nothing", async () => {
    const e = setupEnv();
    const file = c.file(e);
    write(file, EXISTING[c.format]);
    const args = ["setup", c.host, ...c.args, ...(c.args.includes("project") ? ["--dir", e.project] : []), "--name", "fred"];
    const printed = JSON.parse((await ipc(e, [...args, "--json"])).stdout);
    expect(printed.file).toBe(file);

    const first = await ipc(e, [...args, "--write"]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    const after = readFileSync(file, "utf8");
    const doc = parse(c.format, after);
    expect(servers(c.format, doc).other).toEqual({ command: "/usr/bin/other", args: ["serve"] });
    if (c.format === "json" && c.host !== "claude-code") expect(doc.theme).toBe("dark");
    if (c.format === "toml") {
      expect(doc.model).toBe("o3");
      expect(after).toStartWith("# my Codex settings\n");
    }
    const entry = servers(c.format, doc).ipc;
    expect(entry).toEqual(servers(c.format, parse(c.format, printed.snippet)).ipc);
    // A name at project scope is the name; at user scope (shared by every session) it is the seat prefix.
    expect(entry.env).toEqual(c.args.includes("project") ? { IPC_NAME: "fred" } : { IPC_SEAT: "fred" });
    expect(entry.args.at(-1)).toBe("mcp");
    expect(existsSync(entry.command)).toBe(true);
    if (c.host === "claude-code") expect(entry.type).toBe("stdio");

    const saved = backups(file);
    expect(saved).toHaveLength(1);
    expect(readFileSync(join(dirname(file), saved[0]!), "utf8")).toBe(EXISTING[c.format]);

    const second = await ipc(e, [...args, "--write"]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("already configured");
    expect(readFileSync(file, "utf8")).toBe(after);
    expect(backups(file)).toHaveLength(1);
  });

  test("a malformed file is reported with its name and line, and left alone", async () => {
    const e = setupEnv();
    const file = c.file(e);
    write(file, MALFORMED[c.format]);
    const args = ["setup", c.host, ...c.args, "--write"];
    if (c.args.includes("project")) args.push("--dir", e.project);
    const r = await ipc(e, args);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(new RegExp(`${file.replaceAll(".", "\\.")}:\\d+:\\d+: not valid ${c.format.toUpperCase()}`));
    expect(r.stderr).toContain("nothing was written");
    expect(readFileSync(file, "utf8")).toBe(MALFORMED[c.format]);
    expect(backups(file)).toHaveLength(0);
  });
});

describe("ipc setup", () => {
  test("without --write prints the snippet and writes nothing", async () => {
    const e = setupEnv();
    const r = await ipc(e, ["setup", "claude-code"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.mcpServers.ipc).toMatchObject({ type: "stdio", env: {} });
    expect(r.stderr).toContain(join(e.homeDir, ".claude.json"));
    // The name a second live session takes is the project's name with -2 (claude-webapp-2), not claude-2.
    expect(r.stderr).toContain("each session registers claude-<project> (claude-<project>-2… when one is live already)");
    expect(existsSync(join(e.homeDir, ".claude.json"))).toBe(false);
  });

  test("the printed hooks snippet (no --write) has the edit guard too, as --write would merge it", async () => {
    for (const host of ["claude-code", "gemini"]) {
      const e = setupEnv();
      const r = await ipc(e, ["setup", host, "--hooks", "--json"]);
      expect(r.code).toBe(0);
      const hooks = JSON.parse(JSON.parse(r.stdout).hooks.text).hooks;
      const guard = hooks[host === "claude-code" ? "PreToolUse" : "BeforeTool"];
      expect(guard.flatMap((g: any) => g.hooks.map((h: any) => h.command)).some((c: string) => / guard hook --for /.test(c))).toBe(true);
      expect(Object.keys(hooks).length).toBeGreaterThan(1); // and the wake/turn hooks
    }
  });

  test("creates a missing file (and its directory) without a backup", async () => {
    const e = setupEnv();
    const r = await ipc(e, ["setup", "windsurf", "--write"]);
    expect(r.code).toBe(0);
    const file = join(e.homeDir, ".codeium", "windsurf", "mcp_config.json");
    expect(JSON.parse(readFileSync(file, "utf8")).mcpServers.ipc.args.at(-1)).toBe("mcp");
    expect(backups(file)).toHaveLength(0);
  });

  test("a changed --name updates the entry in place", async () => {
    const e = setupEnv();
    await ipc(e, ["setup", "codex", "--write", "--name", "fred"]);
    const r = await ipc(e, ["setup", "codex", "--write", "--name", "barney"]);
    expect(r.code).toBe(0);
    const text = readFileSync(join(e.homeDir, ".codex", "config.toml"), "utf8");
    expect((TOML.parse(text) as any).mcp_servers.ipc.env).toEqual({ IPC_SEAT: "barney" });
    expect(text.match(/\[mcp_servers\.ipc\]/g)).toHaveLength(1);
  });

  test("rejects a scope the host does not have, and an invalid name", async () => {
    const e = setupEnv();
    expect((await ipc(e, ["setup", "claude-code", "--scope", "everywhere"])).code).toBe(2);
    // A host with one scope takes it by name; --dir belongs to --scope project.
    expect((await ipc(e, ["setup", "codex", "--scope", "user"])).code).toBe(0);
    const codexProject = await ipc(e, ["setup", "codex", "--scope", "project"]);
    expect(codexProject.code).toBe(2);
    expect(codexProject.stderr).toContain("Expected one of: user");
    const stray = await ipc(e, ["setup", "gemini", "--dir", e.project]);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain("--dir is the project directory of --scope project; add --scope project");
    const bad = await ipc(e, ["setup", "cursor", "--name", "not a name!"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--name");
  });

  test("JSONC files of hosts that allow comments keep their comments", async () => {
    const e = setupEnv();
    const file = join(e.homeDir, ".gemini", "settings.json");
    write(file, `{\n  // my theme\n  "theme": "dark",\n}\n`);
    expect((await ipc(e, ["setup", "gemini", "--write"])).code).toBe(0);
    const text = readFileSync(file, "utf8");
    expect(text).toContain("// my theme");
    expect(text).toContain('"ipc"');
  });
});

describe("ipc setup claude-code --hooks", () => {
  const settings = (e: { homeDir: string }) => join(e.homeDir, ".claude", "settings.json");

  test("merges the context hooks and the wake hooks next to existing ones, once", async () => {
    const e = setupEnv();
    const existing = {
      model: "opus",
      hooks: { PostToolUse: [{ matcher: "Write", hooks: [{ type: "command", command: "prettier --write" }] }] },
    };
    write(settings(e), `${JSON.stringify(existing, null, 2)}\n`);
    const r = await ipc(e, ["setup", "claude-code", "--hooks", "--name", "fred", "--write"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(readFileSync(settings(e), "utf8"));
    expect(doc.model).toBe("opus");
    // User scope: the hooks carry no --as; they act as whatever the session's MCP server registered (fred-<project>).
    for (const event of ["UserPromptSubmit", "PostToolUse", "SessionStart"]) {
      const commands = doc.hooks[event].flatMap((g: any) => g.hooks.map((h: any) => h.command));
      expect(commands.filter((c: string) => c.endsWith(" hook claude-code"))).toHaveLength(1);
    }
    for (const event of ["SessionStart", "Stop"]) {
      const wakes = doc.hooks[event].flatMap((g: any) => g.hooks).filter((h: any) => h.command.endsWith(" hook claude-code --wake"));
      expect(wakes).toEqual([{ type: "command", command: wakes[0].command, async: true, asyncRewake: true, timeout: 86_400 }]);
    }
    expect(doc.hooks.PostToolUse[0].hooks[0].command).toBe("prettier --write");
    expect(JSON.parse(readFileSync(join(e.homeDir, ".claude.json"), "utf8")).mcpServers.ipc.env).toEqual({ IPC_SEAT: "fred" });

    const before = readFileSync(settings(e), "utf8");
    const again = await ipc(e, ["setup", "claude-code", "--hooks", "--name", "fred", "--write"]);
    expect(again.stdout.match(/already configured/g)).toHaveLength(2);
    expect(readFileSync(settings(e), "utf8")).toBe(before);
  });

  test("a hook pointing at an old binary is updated, not duplicated", async () => {
    const e = setupEnv();
    const stale = { hooks: { SessionStart: [{ hooks: [{ type: "command", command: "/old/place/ipc hook claude-code" }] }] } };
    write(settings(e), JSON.stringify(stale));
    expect((await ipc(e, ["setup", "claude-code", "--hooks", "--write", "--scope", "project", "--dir", e.project])).code).toBe(0);
    // --scope project writes .claude/settings.json of the project, not the user's
    expect(JSON.parse(readFileSync(settings(e), "utf8"))).toEqual(stale);
    const projectSettings = JSON.parse(readFileSync(join(e.project, ".claude", "settings.json"), "utf8"));
    expect(projectSettings.hooks.SessionStart).toHaveLength(2);

    expect((await ipc(e, ["setup", "claude-code", "--hooks", "--write"])).code).toBe(0);
    const doc = JSON.parse(readFileSync(settings(e), "utf8"));
    // the stale context hook is updated in place; the wake hook is added beside it
    expect(doc.hooks.SessionStart).toHaveLength(2);
    expect(doc.hooks.SessionStart[0].hooks).toHaveLength(1);
    expect(doc.hooks.SessionStart[0].hooks[0].command).not.toContain("/old/place");
    expect(doc.hooks.SessionStart[0].hooks[0].command).toEndWith(" hook claude-code");
    expect(doc.hooks.SessionStart[1].hooks[0]).toMatchObject({ async: true, asyncRewake: true });
    expect(doc.hooks.SessionStart[1].hooks[0].command).toEndWith(" hook claude-code --wake");
  });

  test("a broker address set in the environment (IPC_HOME, IPC_PORT) goes into the entry, so the host finds the same broker", async () => {
    const e = setupEnv();
    const r = await ipc(e, ["setup", "cursor", "--json"], { env: { IPC_PORT: "9911", IPC_HOME: join(e.homeDir, "ipc-data") } });
    expect(r.code).toBe(0);
    const entry = JSON.parse(JSON.parse(r.stdout).snippet).mcpServers.ipc;
    expect(entry.env).toEqual({ IPC_HOME: join(e.homeDir, "ipc-data"), IPC_PORT: "9911", IPC_SEAT: "cursor" });
  });
});
