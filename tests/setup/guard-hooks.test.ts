/** The edit guard's hook entries merged into hosts' settings (src/setup/guard-hooks.ts): Claude Code and Gemini CLI. */
import { describe, expect, test } from "bun:test";
import { guardCommand, mergeGuardHook } from "../../src/setup/guard-hooks.ts";

const launch = { command: "/opt/ipc", args: ["mcp"], env: { IPC_HOME: "/data/ipc home", IPC_NAME: "fred" } };

describe("mergeGuardHook", () => {
  test("the command runs the same ipc against the same broker, as the entry's fixed name; a seat template adds no --as", () => {
    expect(guardCommand(launch, "gemini")).toBe("IPC_HOME='/data/ipc home' /opt/ipc guard hook --for gemini --as fred");
    expect(guardCommand({ command: "/usr/bin/bun", args: ["/src/main.ts", "mcp"], env: { IPC_SEAT: "claude" } }, "claude-code")).toBe(
      "/usr/bin/bun /src/main.ts guard hook --for claude-code",
    );
  });

  test("Gemini CLI: BeforeTool for write_file|replace|run_shell_command next to its mcpServers and other hooks, once; an old binary is updated in place", () => {
    const before = JSON.stringify({ mcpServers: { ipc: { command: "/opt/ipc" } }, hooks: { BeforeTool: [{ matcher: "run_shell_command", hooks: [{ type: "command", command: "audit" }] }] } }, null, 2);
    const once = mergeGuardHook("gemini", "settings.json", before, launch);
    const doc = JSON.parse(once);
    expect(doc.mcpServers.ipc.command).toBe("/opt/ipc");
    expect(doc.hooks.BeforeTool).toEqual([
      { matcher: "run_shell_command", hooks: [{ type: "command", command: "audit" }] },
      { matcher: "write_file|replace|run_shell_command", hooks: [{ type: "command", command: guardCommand(launch, "gemini") }] },
    ]);
    expect(mergeGuardHook("gemini", "settings.json", once, launch)).toBe(once);
    const moved = mergeGuardHook("gemini", "settings.json", once, { ...launch, command: "/new/ipc" });
    expect(JSON.parse(moved).hooks.BeforeTool).toHaveLength(2);
    expect(JSON.parse(moved).hooks.BeforeTool[1].hooks[0].command).toStartWith("IPC_HOME='/data/ipc home' /new/ipc guard hook");
  });

  test("an entry written by an older ipc (edit tools only) gets the shell tool added to its matcher, once", () => {
    const old = JSON.stringify({ hooks: { PreToolUse: [{ matcher: "Edit|Write|MultiEdit|NotebookEdit", hooks: [{ type: "command", command: guardCommand(launch, "claude-code") }] }] } });
    const merged = mergeGuardHook("claude-code", "settings.json", old, launch);
    expect(JSON.parse(merged).hooks.PreToolUse).toEqual([{ matcher: "Edit|Write|MultiEdit|NotebookEdit|Bash", hooks: [{ type: "command", command: guardCommand(launch, "claude-code") }] }]);
    expect(mergeGuardHook("claude-code", "settings.json", merged, launch)).toBe(merged);
  });

  test("hosts without a denying hook are left alone; a malformed hooks entry is refused with nothing changed", () => {
    expect(mergeGuardHook("cursor", "x.json", "{}", launch)).toBe("{}");
    expect(() => mergeGuardHook("claude-code", "settings.json", '{"hooks": {"PreToolUse": {}}}', launch)).toThrow(/should be an array/);
  });
});
