/**
 * `ipc setup` and `ipc doctor` for OpenCode and GitHub Copilot CLI, through
 * the real `ipc` CLI: the files and entries each host documents, merged
 * without losing anything, idempotent; OpenCode's wake plugin. Where the
 * pinned host CLIs are installed, their own commands read what we wrote:
 * `copilot mcp get ipc --json` (and `copilot mcp add` writes the same entry),
 * `opencode debug config` (OpenCode parses our entry with its schema).
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pluginWaiter } from "../../src/doctor/checks/opencode.ts";
import { type IpcEnv, ipc, ipcCommand, ipcEnv } from "../helpers/processes.ts";

const ROOT = resolve(import.meta.dir, "../..");
const COPILOT_BIN = join(ROOT, "node_modules", ".bin", "copilot");
const OPENCODE_BIN = join(ROOT, "node_modules", ".bin", "opencode");

const tmp = (prefix: string) => realpathSync(mkdtempSync(join(tmpdir(), prefix)));

/** An isolated IPC_HOME and HOME (no XDG_CONFIG_HOME or COPILOT_HOME from the test's environment). */
function env(): IpcEnv & { homeDir: string } {
  const homeDir = tmp("ipc-hosts-home-");
  return { ...ipcEnv({ HOME: homeDir, XDG_CONFIG_HOME: "", COPILOT_HOME: "" }), homeDir };
}

const [self, ...selfArgs] = ipcCommand();

describe("ipc setup opencode", () => {
  test("writes the mcp entry OpenCode documents into ~/.config/opencode/opencode.json, keeping the rest; a second run changes nothing", async () => {
    const e = env();
    const file = join(e.homeDir, ".config", "opencode", "opencode.json");
    mkdirSync(join(e.homeDir, ".config", "opencode"), { recursive: true });
    writeFileSync(file, `{\n  // mine\n  "theme": "tokyonight",\n  "mcp": { "other": { "type": "remote", "url": "https://example.invalid/mcp" } },\n}\n`);
    const r = await ipc(e, ["setup", "opencode", "--write"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`✔ OpenCode: the ipc MCP server added to ${file}`);
    const text = readFileSync(file, "utf8");
    expect(text).toContain("// mine");
    expect(text).toContain(`"theme": "tokyonight"`);
    expect(text).toContain("https://example.invalid/mcp");
    const shown = JSON.parse((await ipc(e, ["setup", "opencode", "--json"])).stdout);
    expect(JSON.parse(shown.snippet)).toEqual({ mcp: { ipc: { type: "local", command: [self, ...selfArgs, "mcp"], environment: expect.objectContaining({ IPC_SEAT: "opencode" }), enabled: true } } });
    const again = await ipc(e, ["setup", "opencode", "--write"]);
    expect(again.stdout).toContain("already configured");
  }, 30_000);

  test("project scope with a name: opencode.json in the project, IPC_NAME; opencode.jsonc when that is the file there", async () => {
    const e = env();
    const project = tmp("ipc-oc-proj-");
    expect((await ipc(e, ["setup", "opencode", "--write", "--scope", "project", "--dir", project, "--name", "ocean"])).code).toBe(0);
    const doc = JSON.parse(readFileSync(join(project, "opencode.json"), "utf8"));
    expect(doc.mcp.ipc.environment.IPC_NAME).toBe("ocean");
    const other = tmp("ipc-oc-proj-");
    writeFileSync(join(other, "opencode.jsonc"), `{ "model": "x/y" }\n`);
    expect((await ipc(e, ["setup", "opencode", "--write", "--scope", "project", "--dir", other])).code).toBe(0);
    expect(existsSync(join(other, "opencode.json"))).toBe(false);
    expect(readFileSync(join(other, "opencode.jsonc"), "utf8")).toContain(`"ipc"`);
  }, 30_000);

  test("--hooks writes the wake plugin once; it runs this ipc's hook opencode --wake; doctor checks it", async () => {
    const e = env();
    const r = await ipc(e, ["setup", "opencode", "--write", "--hooks"]);
    expect(r.code).toBe(0);
    const plugin = join(e.homeDir, ".config", "opencode", "plugins", "ipc-wake.js");
    expect(r.stdout).toContain(`✔ OpenCode: the ipc wake plugin added as ${plugin}`);
    const text = readFileSync(plugin, "utf8");
    expect(pluginWaiter(text)).toEqual([self!, ...selfArgs, "hook", "opencode", "--wake", "--confirm"]);
    expect(text).toContain("export const IpcWake");
    expect((await ipc(e, ["setup", "opencode", "--write", "--hooks"])).stdout).toContain("the ipc wake plugin already in");
    const doctor = await ipc(e, ["doctor"]);
    expect(doctor.stdout).toContain(`✔ OpenCode: the wake plugin ${plugin} runs`);
    // a plugin pointing at an ipc that is gone is a failure with the fix
    writeFileSync(plugin, text.replace(JSON.stringify(self), JSON.stringify("/nonexistent/ipc")));
    const sick = await ipc(e, ["doctor"]);
    expect(sick.code).toBe(1);
    expect(sick.stdout).toContain(`✖ OpenCode: the wake plugin ${plugin} runs /nonexistent/ipc, which does not exist`);
    expect(sick.stdout).toContain("fix: ipc setup opencode --write --hooks");
  }, 30_000);

  test("a malformed opencode.json stops everything: no entry, no plugin written", async () => {
    const e = env();
    const dir = join(e.homeDir, ".config", "opencode");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "opencode.json"), `{ "mcp": `);
    const r = await ipc(e, ["setup", "opencode", "--write", "--hooks"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("opencode.json");
    expect(existsSync(join(dir, "plugins", "ipc-wake.js"))).toBe(false);
    expect(readFileSync(join(dir, "opencode.json"), "utf8")).toBe(`{ "mcp": `);
  }, 30_000);

  test("the plugin is valid JavaScript exporting one plugin function", async () => {
    const e = env();
    expect((await ipc(e, ["setup", "opencode", "--write", "--hooks"])).code).toBe(0);
    const mod = await import(join(e.homeDir, ".config", "opencode", "plugins", "ipc-wake.js"));
    expect(Object.keys(mod)).toEqual(["IpcWake"]);
    expect(typeof mod.IpcWake).toBe("function");
  }, 30_000);

  test.skipIf(!existsSync(OPENCODE_BIN))("the real OpenCode reads the entry: opencode debug config shows it", async () => {
    const e = env();
    expect((await ipc(e, ["setup", "opencode", "--write"])).code).toBe(0);
    const p = Bun.spawn([OPENCODE_BIN, "debug", "config"], { cwd: tmp("ipc-oc-proj-"), env: { ...e.env, OPENCODE_DISABLE_MODELS_FETCH: "1", OPENCODE_DISABLE_AUTOUPDATE: "1" }, stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    expect(code, err).toBe(0);
    const config = JSON.parse(out);
    expect(config.mcp.ipc).toMatchObject({ type: "local", command: [self, ...selfArgs, "mcp"], enabled: true });
  }, 120_000);
});

describe("ipc setup copilot", () => {
  test("writes ~/.copilot/mcp-config.json (COPILOT_HOME when set) and .github/mcp.json at project scope", async () => {
    const e = env();
    expect((await ipc(e, ["setup", "copilot", "--write"])).code).toBe(0);
    const doc = JSON.parse(readFileSync(join(e.homeDir, ".copilot", "mcp-config.json"), "utf8"));
    expect(doc.mcpServers.ipc).toEqual({ type: "local", command: self, args: [...selfArgs, "mcp"], env: expect.objectContaining({ IPC_SEAT: "copilot" }), tools: ["*"] });
    const copilotHome = tmp("ipc-copilot-home-");
    expect((await ipc(e, ["setup", "copilot", "--write"], { env: { COPILOT_HOME: copilotHome } })).code).toBe(0);
    expect(existsSync(join(copilotHome, "mcp-config.json"))).toBe(true);
    const project = tmp("ipc-cp-proj-");
    expect((await ipc(e, ["setup", "copilot", "--write", "--scope", "project", "--dir", project, "--name", "cop"])).code).toBe(0);
    expect(JSON.parse(readFileSync(join(project, ".github", "mcp.json"), "utf8")).mcpServers.ipc.env.IPC_NAME).toBe("cop");
    expect((await ipc(e, ["doctor"])).stdout).toContain(`✔ GitHub Copilot CLI: ${join(e.homeDir, ".copilot", "mcp-config.json")} starts`);
  }, 30_000);

  test.skipIf(!existsSync(COPILOT_BIN))("the real Copilot CLI reads our entry, and its own `copilot mcp add` writes the same one", async () => {
    const e = env();
    expect((await ipc(e, ["setup", "copilot", "--write", "--name", "cop"])).code).toBe(0);
    const copilot = async (args: string[], home: string) => {
      const p = Bun.spawn([COPILOT_BIN, ...args], { cwd: home, env: { ...e.env, HOME: home, COPILOT_AUTO_UPDATE: "false" }, stdout: "pipe", stderr: "pipe" });
      const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
      return { out, err, code };
    };
    const got = await copilot(["mcp", "get", "ipc", "--json"], e.homeDir);
    expect(got.code, got.err).toBe(0);
    expect(JSON.parse(got.out).ipc).toMatchObject({ type: "local", command: self, args: [...selfArgs, "mcp"], source: "user", enabled: true });
    // the same entry through Copilot CLI's own command, in another HOME
    const other = tmp("ipc-copilot-add-");
    const ours = JSON.parse(readFileSync(join(e.homeDir, ".copilot", "mcp-config.json"), "utf8")).mcpServers.ipc;
    const envFlags = Object.entries(ours.env as Record<string, string>).flatMap(([k, v]) => ["--env", `${k}=${v}`]);
    const added = await copilot(["mcp", "add", "ipc", ...envFlags, "--", self!, ...selfArgs, "mcp"], other);
    expect(added.code, added.err).toBe(0);
    expect(JSON.parse(readFileSync(join(other, ".copilot", "mcp-config.json"), "utf8")).mcpServers.ipc).toEqual(ours);
  }, 120_000);
});
