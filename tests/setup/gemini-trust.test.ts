/**
 * Gemini CLI's trusted folders (issue 27 bug 5): in a folder Gemini CLI does
 * not trust it starts no MCP server, so `ipc setup gemini` and `ipc doctor`
 * say so and how to fix it, and `ipc setup gemini --write --trust` fixes it.
 * The rule is checked case by case against src/setup/gemini-trust.ts, and
 * end to end with the real Gemini CLI's `gemini mcp list` where it is installed.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { geminiTrust } from "../../src/setup/gemini-trust.ts";
import { GEMINI_BIN, geminiSkipReason } from "../helpers/gemini.ts";
import { type IpcEnv, ipc, ipcEnv, startBrokerProcess } from "../helpers/processes.ts";

const tmp = (prefix: string) => realpathSync(mkdtempSync(join(tmpdir(), prefix)));
const noEnv = { cliHome: undefined, trustedFoldersPath: undefined, trustWorkspace: undefined, restricted: false };

/** A HOME with Gemini CLI's trusted-folders file holding `rules` (none: no file). */
function homeWith(rules?: Record<string, string>, settings?: unknown): string {
  const home = tmp("ipc-gemini-trust-home-");
  mkdirSync(join(home, ".gemini"));
  if (rules !== undefined) writeFileSync(join(home, ".gemini", "trustedFolders.json"), JSON.stringify(rules));
  if (settings !== undefined) writeFileSync(join(home, ".gemini", "settings.json"), JSON.stringify(settings));
  return home;
}

describe("Gemini CLI's trust rule", () => {
  test("no file, or no rule covering the folder: untrusted", () => {
    const dir = tmp("ipc-gemini-proj-");
    expect(geminiTrust(dir, homeWith(), noEnv).trusted).toBe(false);
    expect(geminiTrust(dir, homeWith({ "/elsewhere": "TRUST_FOLDER" }), noEnv).trusted).toBe(false);
  });

  test("TRUST_FOLDER covers the folder and below; TRUST_PARENT covers its parent; the longest rule wins", () => {
    const parent = tmp("ipc-gemini-parent-");
    const child = join(parent, "app");
    mkdirSync(child);
    expect(geminiTrust(child, homeWith({ [parent]: "TRUST_FOLDER" }), noEnv).trusted).toBe(true);
    expect(geminiTrust(child, homeWith({ [join(parent, "sibling")]: "TRUST_PARENT" }), noEnv).trusted).toBe(true);
    expect(geminiTrust(child, homeWith({ [parent]: "TRUST_FOLDER", [child]: "DO_NOT_TRUST" }), noEnv)).toMatchObject({ trusted: false, why: expect.stringContaining("DO_NOT_TRUST") });
    expect(geminiTrust(child, homeWith({ [parent]: "DO_NOT_TRUST", [child]: "TRUST_FOLDER" }), noEnv).trusted).toBe(true);
  });

  test("the environment and settings.json decide before the file", () => {
    const dir = tmp("ipc-gemini-proj-");
    const trusted = homeWith({ [dir]: "TRUST_FOLDER" });
    expect(geminiTrust(dir, homeWith(), { ...noEnv, trustWorkspace: "true" }).trusted).toBe(true);
    expect(geminiTrust(dir, trusted, { ...noEnv, trustWorkspace: "false" }).trusted).toBe(false);
    expect(geminiTrust(dir, trusted, { ...noEnv, restricted: true }).trusted).toBe(false);
    expect(geminiTrust(dir, homeWith(undefined, { security: { folderTrust: { enabled: false } } }), noEnv).trusted).toBe(true);
  });

  test("a malformed file or an unknown level: untrusted, saying Gemini CLI will not start", () => {
    const dir = tmp("ipc-gemini-proj-");
    const home = homeWith();
    writeFileSync(join(home, ".gemini", "trustedFolders.json"), "{ not json");
    expect(geminiTrust(dir, home, noEnv)).toMatchObject({ trusted: false, why: expect.stringContaining("refuses to start") });
    expect(geminiTrust(dir, homeWith({ [dir]: "YES" }), noEnv)).toMatchObject({ trusted: false, why: expect.stringContaining("refuses to start") });
  });
});

/** An isolated IPC_HOME, port and HOME, with no Gemini CLI trust settings from the test's environment. */
function env(): IpcEnv & { homeDir: string } {
  const homeDir = tmp("ipc-gemini-trust-home-");
  return { ...ipcEnv({ HOME: homeDir, GEMINI_CLI_TRUST_WORKSPACE: "", GEMINI_RESTRICTED_MODE: "", GEMINI_CLI_HOME: "", GEMINI_CLI_TRUSTED_FOLDERS_PATH: "" }), homeDir };
}

describe("ipc setup gemini and ipc doctor in an untrusted folder", () => {
  test("setup says the folder is untrusted and how to fix it; doctor fails with the fix; --trust fixes it once", async () => {
    const e = env();
    const project = tmp("ipc-gemini-proj-");
    const setup = await ipc(e, ["setup", "gemini", "--write"], { cwd: project });
    expect(setup.code).toBe(0);
    expect(setup.stdout).toContain(`⚠ Gemini CLI does not trust ${project}`);
    expect(setup.stdout).toContain(`Fix: ipc setup gemini --write --trust --dir ${project}`);

    const sick = await ipc(e, ["doctor", "--dir", project]);
    expect(sick.code).toBe(1);
    expect(sick.stdout).toContain(`✖ Gemini CLI does not trust ${project}`);
    expect(sick.stdout).toContain(`fix: ipc setup gemini --write --trust --dir ${project}`);

    const fixed = await ipc(e, ["setup", "gemini", "--write", "--trust", "--dir", project]);
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toContain(`✔ Gemini CLI: ${project} trusted in ${join(e.homeDir, ".gemini", "trustedFolders.json")}`);
    expect(JSON.parse(readFileSync(join(e.homeDir, ".gemini", "trustedFolders.json"), "utf8"))).toEqual({ [project]: "TRUST_FOLDER" });
    const again = await ipc(e, ["setup", "gemini", "--write", "--trust", "--dir", project]);
    expect(again.stdout).not.toContain("trusted in");
    expect(again.stdout).not.toContain("⚠");

    const well = await ipc(e, ["doctor", "--dir", project]);
    expect(well.stdout).toContain(`✔ Gemini CLI trusts ${project}`);
    expect(well.stdout).not.toContain("✖ Gemini CLI");
  });

  test("--trust keeps the rules already there, and the printed snippet mentions the trust too", async () => {
    const e = env();
    const project = tmp("ipc-gemini-proj-");
    mkdirSync(join(e.homeDir, ".gemini"));
    writeFileSync(join(e.homeDir, ".gemini", "trustedFolders.json"), `{\n  // mine\n  "/srv/other": "DO_NOT_TRUST"\n}\n`);
    const shown = await ipc(e, ["setup", "gemini", "--json"], { cwd: project });
    expect(JSON.parse(shown.stdout).trust).toMatchObject({ dir: project, trusted: false });
    expect((await ipc(e, ["setup", "gemini", "--write", "--trust"], { cwd: project })).code).toBe(0);
    const text = readFileSync(join(e.homeDir, ".gemini", "trustedFolders.json"), "utf8");
    expect(text).toContain("// mine");
    expect(text).toContain(`"/srv/other": "DO_NOT_TRUST"`);
    expect(text).toContain(`"${project}": "TRUST_FOLDER"`);
  });

  test("a malformed settings.json stops everything: the folder is not trusted behind the user's back", async () => {
    const e = env();
    const project = tmp("ipc-gemini-proj-");
    mkdirSync(join(e.homeDir, ".gemini"));
    writeFileSync(join(e.homeDir, ".gemini", "settings.json"), `{ "mcpServers": `);
    const r = await ipc(e, ["setup", "gemini", "--write", "--trust", "--dir", project]);
    expect(r.code).not.toBe(0);
    expect(existsSync(join(e.homeDir, ".gemini", "trustedFolders.json"))).toBe(false);
  });

  test("no Gemini CLI entry: doctor says nothing about trust", async () => {
    const e = env();
    const project = tmp("ipc-gemini-proj-");
    const r = await ipc(e, ["doctor", "--dir", project]);
    expect(r.stdout).not.toContain("trust");
  });
});

const skip = geminiSkipReason();
describe.skipIf(skip !== null)("with the real Gemini CLI", () => {
  test("gemini mcp list: ipc Disabled in the untrusted folder, Connected once ipc setup --trust ran", async () => {
    const e = env();
    await using _broker = await startBrokerProcess(e);
    const project = tmp("ipc-gemini-proj-");
    expect((await ipc(e, ["setup", "gemini", "--write"], { cwd: project })).code).toBe(0);
    const list = async () => {
      const p = Bun.spawn([GEMINI_BIN, "mcp", "list"], { cwd: project, env: { ...e.env, NO_COLOR: "1" }, stdout: "pipe", stderr: "pipe" });
      const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
      return out + err;
    };
    expect(await list()).toMatch(/ipc: .* - Disabled/);
    expect((await ipc(e, ["setup", "gemini", "--write", "--trust"], { cwd: project })).code).toBe(0);
    expect(await list()).toMatch(/ipc: .* - Connected/);
  }, 90_000);
});
