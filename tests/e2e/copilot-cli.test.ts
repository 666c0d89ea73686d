/**
 * GitHub Copilot CLI, proven with the real CLI (the pinned devDependency
 * @github/copilot) in prompt mode (`copilot -p`), offline: COPILOT_OFFLINE
 * and a bring-your-own-key provider (COPILOT_PROVIDER_BASE_URL) pointed at
 * the stand-in OpenAI-compatible API (tests/helpers/opencode-api.ts). Set up
 * only with `ipc setup copilot --write`, its session registers a name of its
 * own and calls the ipc MCP tools through scripted function calls.
 * Skipped, saying why, where Copilot CLI is missing.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type ChatApi, STUB_MODEL, lastInput, offeredTools, startChatApi } from "../helpers/opencode-api.ts";
import { type IpcEnv, ipc, ipcEnv, startBrokerProcess } from "../helpers/processes.ts";

const COPILOT_BIN = join(resolve(import.meta.dir, "../.."), "node_modules", ".bin", "copilot");
const skip = existsSync(COPILOT_BIN) ? null : `the pinned Copilot CLI is not installed (${COPILOT_BIN} missing: run npm ci)`;
if (skip !== null) console.warn(`skipping the real Copilot CLI tests: ${skip}`);

const RUN_MS = 120_000;

/** `copilot -p PROMPT` in `project` with HOME `home`, offline against `api`; resolves with its exit code and output. */
async function copilotPrompt(e: IpcEnv, api: ChatApi, home: string, project: string, prompt: string): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn([COPILOT_BIN, "-p", prompt, "--allow-all-tools"], {
    cwd: project,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home,
      IPC_HOME: e.home,
      IPC_PORT: String(e.port),
      COPILOT_OFFLINE: "true",
      COPILOT_AUTO_UPDATE: "false",
      COPILOT_PROVIDER_BASE_URL: api.url,
      COPILOT_PROVIDER_API_KEY: "ipc-tests-dummy-key",
      COPILOT_MODEL: STUB_MODEL,
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => p.kill("SIGKILL"), RUN_MS - 10_000);
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  clearTimeout(timer);
  return { code, out, err };
}

describe.skipIf(skip !== null)("the real Copilot CLI with ipc (prompt mode, offline)", () => {
  test("the ipc tools are offered; a scripted send call reaches another agent from the session's own name", async () => {
    const e = ipcEnv();
    await using _broker = await startBrokerProcess(e);
    expect((await ipc(e, ["register", "alice"])).code).toBe(0);
    await using api = startChatApi();
    const home = mkdtempSync(join(tmpdir(), "ipc-copilot-home-"));
    const project = mkdtempSync(join(tmpdir(), "webapp-"));
    expect((await ipc(e, ["setup", "copilot", "--write"], { env: { HOME: home } })).code).toBe(0);

    const first = await copilotPrompt(e, api, home, project, "hello");
    expect(first.code, first.err).toBe(0);
    const offered = offeredTools(api.turns()[0]?.body);
    const send = offered.find((t) => /ipc.*send$/.test(t));
    if (send === undefined) throw new Error(`no ipc send tool among ${offered.join(", ")}`);

    const before = api.turns().length;
    api.script.push({ call: send, args: { to: "alice", content: "copilot here: the docs build is fixed (note 7b3e)" } }, { text: "sent it" });
    const second = await copilotPrompt(e, api, home, project, "tell alice the docs build is fixed");
    expect(second.code, second.err).toBe(0);
    expect(second.out).toContain("sent it");
    const result = api.turns().slice(before).find((r) => lastInput(r.body).includes("Sent message #"));
    expect(result).toBeDefined();
    const h = JSON.parse((await ipc(e, ["history", "--as", "alice", "--json"])).stdout);
    const got = ((Array.isArray(h) ? h : h.messages) as Array<{ content: string; from: string }>).find((m) => m.content.includes("note 7b3e"));
    expect(got?.from).toStartWith("copilot-webapp-");
  }, 2 * RUN_MS);
});
