/**
 * Another agent's message cannot drive the reader's terminal (issue 10 hole
 * 10a): `ESC ]2;…BEL` would retitle the tmux pane. The CLI on a real
 * terminal (a pty from `script`), the MCP tools and the hook's context all
 * show such sequences escaped.
 */
import { describe, expect, test } from "bun:test";
import { startMcp, stopBroker } from "../mcp/_mcp.ts";
import { type IpcEnv, ipc, ipcCommand, ipcEnv, ipcJson, startBrokerProcess } from "../helpers/processes.ts";

const HOSTILE = "hi\x1b]2;pwned\x07 there\x1b[2J\x9b2J\rgone";
const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/; // what must not reach a terminal (after the pty's \r\n)

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** Runs `ipc ...args` on a pseudo-terminal (util-linux `script`); returns what the terminal received, \r\n as \n. */
async function onTty(e: IpcEnv, args: string[], env: Record<string, string> = {}): Promise<string> {
  const line = [...ipcCommand(), ...args].map(quote).join(" ");
  await using proc = Bun.spawn(["script", "-qefc", line, "/dev/null"], { env: { ...e.env, ...env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  expect(code, stdout).toBe(0);
  return stdout.replaceAll("\r\n", "\n");
}

const hasScript = Bun.which("script") !== null && process.platform === "linux";

describe("escape sequences from other agents", () => {
  test.skipIf(!hasScript)("CLI on a terminal: check, read and history print them escaped; colours still work", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    expect((await ipc(e, ["register", "fred"])).code).toBe(0);
    expect((await ipc(e, ["register", "barney"])).code).toBe(0);
    const { message_id: id } = await ipcJson(e, ["send", "fred", HOSTILE, "--as", "barney"]);
    for (const args of [["check"], ["read", String(id)], ["history"]]) {
      const shown = await onTty(e, [...args, "--as", "fred"]);
      expect(shown, args.join(" ")).toContain("hi\\u001b]2;pwned\\u0007 there\\u001b[2J\\u009b2J\\u000dgone");
      expect(RAW.test(shown), JSON.stringify(shown)).toBe(false);
    }
    // With colour on, the CLI's own SGR sequences are the only escapes.
    const coloured = await onTty(e, ["read", String(id), "--as", "fred"], { NO_COLOR: "", TERM: "xterm" });
    expect(coloured).toContain("\x1b[1m");
    expect(coloured.replace(/\x1b\[\d{1,2}m/g, "")).not.toMatch(RAW);
    // --json on a terminal stays valid JSON with the same content.
    const json = await onTty(e, ["read", String(id), "--as", "fred", "--json"]);
    expect(RAW.test(json.trimEnd())).toBe(false);
    expect(JSON.parse(json).message.content).toBe(HOSTILE);
    // Into a pipe the content is passed through as it is (scripts get the real bytes).
    expect((await ipc(e, ["read", String(id), "--as", "fred"])).stdout).toContain(HOSTILE);
  }, 30_000);

  test("MCP check and read_message, and the Claude Code hook's context, carry no raw ESC", async () => {
    const e = ipcEnv();
    try {
      await using a = await startMcp(e, { name: "reader" });
      await ipcJson(e, ["register", "barney"]);
      const { message_id: id } = await ipcJson(e, ["send", "reader", HOSTILE, "--as", "barney"]);
      const checked = await a.call("check", {});
      expect(checked.text).toContain("\\u001b]2;pwned");
      expect(checked.text).not.toMatch(/[\x1b\x07\x9b]/);
      const read = await a.call("read_message", { message_id: id });
      expect(read.text).toContain("\\u001b]2;pwned\\u0007");
      expect(read.text).not.toMatch(/[\x1b\x07\x9b]/);

      await ipcJson(e, ["register", "fred"]);
      await ipcJson(e, ["send", "fred", HOSTILE, "--as", "barney"]);
      const hook = await ipc(e, ["hook", "claude-code", "--as", "fred", "--always"]);
      expect(hook.code, hook.stderr).toBe(0);
      const context: string = JSON.parse(hook.stdout).hookSpecificOutput.additionalContext;
      expect(context).toContain("\\u001b]2;pwned\\u0007");
      expect(context).not.toMatch(/[\x1b\x07\x9b]/);
    } finally {
      await stopBroker(e);
    }
  }, 30_000);
});
