/** Unit tests of the config editors: JSON/JSONC (jsonc-parser), TOML (smol-toml), Claude Code hooks, setup planning. */
import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as TOML from "smol-toml";
import { resolve } from "node:path";
import { HOOK_SETS, hookCommand, mergeHooks } from "../../src/setup/hooks.ts";
import { hostById } from "../../src/setup/hosts.ts";
import { parseJsonConfig, setJsonValue } from "../../src/setup/json-config.ts";
import { brokerEnv, mcpLaunch, shellLine } from "../../src/setup/launch.ts";
import { writeSetup } from "../../src/setup/setup.ts";
import { setTomlTable } from "../../src/setup/toml-config.ts";

const entry = { command: "/opt/ipc", args: ["mcp"] };

describe("TOML", () => {
  test("appends the table, keeping comments and other tables", () => {
    const text = `# top comment\nmodel = "o3" # inline\n\n[mcp_servers.other]\ncommand = "x"\n`;
    const out = setTomlTable("c.toml", text, ["mcp_servers", "ipc"], entry);
    expect(out).toStartWith(text.trimEnd());
    expect((TOML.parse(out) as any).mcp_servers).toEqual({ other: { command: "x" }, ipc: entry });
  });

  test("replaces the table and its sub-tables, keeping what follows (with its comment)", () => {
    const text = `[mcp_servers.ipc]\ncommand = "/old/ipc"\nargs = ["mcp"]\n\n[mcp_servers.ipc.env]\nIPC_NAME = "x"\n\n# the next one\n[mcp_servers.other]\ncommand = "x"\n`;
    const out = setTomlTable("c.toml", text, ["mcp_servers", "ipc"], entry);
    expect(out).toBe(`[mcp_servers.ipc]\ncommand = "/opt/ipc"\nargs = [ "mcp" ]\n\n# the next one\n[mcp_servers.other]\ncommand = "x"\n`);
  });

  test("refuses an entry written inline, naming the file", () => {
    const text = `[mcp_servers]\nipc = { command = "/old" }\n`;
    expect(() => setTomlTable("/x/c.toml", text, ["mcp_servers", "ipc"], entry)).toThrow(/\/x\/c\.toml defines mcp_servers\.ipc in a form/);
  });

  test("reports a syntax error with line and column", () => {
    expect(() => setTomlTable("/x/c.toml", `a = 1\nb = [\n`, ["mcp_servers", "ipc"], entry)).toThrow(/^\/x\/c\.toml:3:1: not valid TOML/);
  });
});

describe("JSON", () => {
  test("strict JSON refuses comments; JSONC keeps them", () => {
    const text = `{\n  // note\n  "a": 1\n}\n`;
    expect(() => parseJsonConfig("/f.json", text)).toThrow(/^\/f\.json:2:3: not valid JSON \(invalid comment token\)/);
    expect(parseJsonConfig("/f.json", text, true)).toEqual({ a: 1 });
    expect(setJsonValue(text, ["mcpServers", "ipc"], entry)).toContain("// note");
  });

  test("keeps the file's indentation", () => {
    const out = setJsonValue(`{\n\t"a": 1\n}\n`, ["mcpServers", "ipc"], entry);
    expect(out).toContain('\n\t"mcpServers": {\n\t\t"ipc"');
    expect(JSON.parse(out).mcpServers.ipc).toEqual(entry);
  });

  test("blank text is an empty object", () => {
    expect(parseJsonConfig("/f.json", " \n")).toEqual({});
    expect(JSON.parse(setJsonValue("", ["a"], 1))).toEqual({ a: 1 });
  });
});

describe("launch and hooks", () => {
  test("compiled binary and source run become command + args", () => {
    expect(mcpLaunch("fred", ["/usr/local/bin/ipc"], {})).toEqual({ command: "/usr/local/bin/ipc", args: ["mcp"], env: { IPC_NAME: "fred" } });
    expect(mcpLaunch(null, ["/x/bun", "/repo/src/main.ts"], {})).toEqual({ command: "/x/bun", args: ["/repo/src/main.ts", "mcp"], env: {} });
  });

  test("a broker address set in the environment is carried into the MCP entry and the hook command", () => {
    const env = brokerEnv({ IPC_PORT: "9900", IPC_HOME: "rel/home", IPC_HOST: "", IPC_NAME: "ignored", PATH: "/bin" });
    expect(env).toEqual({ IPC_HOME: resolve("rel/home"), IPC_PORT: "9900" });
    expect(mcpLaunch("fred", ["/a/ipc"], env).env).toEqual({ IPC_HOME: resolve("rel/home"), IPC_PORT: "9900", IPC_NAME: "fred" });
    expect(hookCommand(["/a/ipc"], null, { IPC_PORT: "9900", IPC_HOME: "/my home" })).toBe(`IPC_PORT=9900 IPC_HOME='/my home' /a/ipc hook claude-code`);
  });

  test("hook commands quote paths with spaces", () => {
    expect(shellLine(["/Apps/My Tools/ipc", "hook"])).toBe(`'/Apps/My Tools/ipc' hook`);
    expect(hookCommand(["/a/ipc"], "fred", {})).toBe("/a/ipc hook claude-code --as fred");
  });

  test("mergeHooks leaves a file that has the hooks as it is", () => {
    for (const set of Object.values(HOOK_SETS)) {
      const once = mergeHooks(set, "/s.json", "", `/a/ipc hook ${set.subcommand}`);
      expect(mergeHooks(set, "/s.json", once, `/a/ipc hook ${set.subcommand}`)).toBe(once);
    }
  });
});

describe("writeSetup", () => {
  test("a malformed hooks file stops the setup before the server entry is written", () => {
    const dir = mkdtempSync(join(tmpdir(), "ipc-plan-"));
    writeFileSync(join(dir, ".claude.json"), `{"numStartups": 3}\n`);
    const settings = join(dir, ".claude", "settings.json");
    mkdirSync(join(dir, ".claude"));
    writeFileSync(settings, `{"hooks": `);
    const host = hostById("claude-code")!;
    expect(() =>
      writeSetup({ host, scope: "user", places: { home: dir, codexHome: join(dir, ".codex"), project: dir }, launch: mcpLaunch(null, ["/a/ipc"], {}), hookCommand: "/a/ipc hook claude-code" }),
    ).toThrow(/settings\.json:1:\d+: not valid JSON/);
    expect(readFileSync(join(dir, ".claude.json"), "utf8")).toBe(`{"numStartups": 3}\n`);
  });
});
