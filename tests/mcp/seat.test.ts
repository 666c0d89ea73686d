/**
 * One name per seat through real `ipc mcp` processes (docs/identity.md): each
 * server runs under its own stand-in host process, as two windows of one AI
 * host would, and talks to a real broker process.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type IpcEnv, ipc, ipcEnv, ipcJson, startBrokerProcess, underOwnHost } from "../helpers/processes.ts";
import { type McpProcess, startMcp } from "./_mcp.ts";

/** A project folder named `name` (a git repository when `git`: its root names the project). */
function project(name: string, git = false): string {
  const dir = join(mkdtempSync(join(tmpdir(), "ipc-seat-")), name);
  mkdirSync(join(dir, "src"), { recursive: true });
  if (git) mkdirSync(join(dir, ".git"));
  return dir;
}

/** An `ipc mcp` under its own host process in `cwd`, as a user-scope entry written by `ipc setup` starts it (IPC_SEAT). */
function seatServer(e: IpcEnv, cwd: string, env: Record<string, string> = { IPC_SEAT: "claude" }): Promise<McpProcess> {
  return startMcp(underOwnHost(e), { cwd, env });
}

/** The name a server acts as, from the instructions it gave at initialize. */
function instructedName(s: McpProcess): string | undefined {
  return s.client.getInstructions()?.match(/You are registered as "([^"]+)"/)?.[1];
}

describe("ipc mcp: one name per seat", () => {
  test("two sessions of one user-scope entry get two names, told in instructions, register result and the first tool result", async () => {
    const e = ipcEnv();
    await using _broker = await startBrokerProcess(e);
    const webapp = project("webapp", true);
    await using a = await seatServer(e, join(webapp, "src")); // a subfolder: the git root names the project
    await using b = await seatServer(e, webapp);
    expect(instructedName(a)).toBe("claude-webapp");
    expect(instructedName(b)).toBe("claude-webapp-2");

    const first = await b.call("list_instances");
    expect(first.text).toContain("● claude-webapp-2 (you)");
    expect(first.text).toContain("● claude-webapp —");
    expect(first.text).toEndWith("(You act as claude-webapp-2 on ipc.)");
    expect((await b.call("list_instances")).text).not.toContain("You act as"); // only the first result says it

    // A message to one reaches only that one.
    await ipc(e, ["register", "me"]);
    expect((await ipcJson(e, ["send", "claude-webapp", "for the first window", "--as", "me"])).status).toBe("notified"); // its MCP server has it; the model reads it with check
    expect((await a.call("check")).text).toContain("for the first window");
    expect((await b.call("check")).text).toContain("No new messages");

    // Another folder is another project.
    await using c = await seatServer(e, project("api"));
    expect(instructedName(c)).toBe("claude-api");
  });

  test("a restarted seat gets its name (and inbox) back; a second live one does not take it", async () => {
    const e = ipcEnv();
    await using _broker = await startBrokerProcess(e);
    const dir = project("shop");
    const a = await seatServer(e, dir);
    expect(instructedName(a)).toBe("claude-shop");
    await ipc(e, ["register", "me"]);
    await ipc(e, ["send", "claude-shop", "while you were away", "--as", "me"]);
    await a.client.close(); // the host ends: stdin closes, the server and its host process exit
    await a.kill().catch(() => {});

    await using again = await seatServer(e, dir);
    expect(instructedName(again)).toBe("claude-shop");
    expect((await again.call("check")).text).toContain("while you were away");
    await using other = await seatServer(e, dir);
    expect(instructedName(other)).toBe("claude-shop-2");
  });

  test("an explicit name held by another live session is NAME_TAKEN, naming the holder; takeover works", async () => {
    const e = ipcEnv();
    await using _broker = await startBrokerProcess(e);
    await using a = await startMcp(underOwnHost(e), { name: "fred" });
    expect(instructedName(a)).toBe("fred");
    const hostA = a.pid; // the stand-in host's pid: the transport started it

    await using b = await startMcp(underOwnHost(e), { name: "fred" });
    expect(instructedName(b), b.stderr()).toBeUndefined();
    const refused = await b.call("send", { to: "barney", content: "as fred?" });
    expect(refused.isError).toBe(true);
    expect(refused.text).toContain("fred is held by another live session");
    expect(refused.text).toContain(`pid ${hostA}`);
    expect(refused.text).toContain("takeover");
    expect(refused.text).toMatch(/since \d{4}-\d\d-\d\dT/);

    const register = await b.call("register", { name: "fred" });
    expect(register.isError).toBe(true);
    expect(register.text).toContain("fred is held by another live session");

    const took = await b.call("register", { name: "fred", takeover: true });
    expect(took.isError).toBe(false);
    expect(took.text).toContain("Registered as fred");
    expect((await b.call("send", { to: "barney", content: "fred now" })).isError).toBe(false);
    // The old holder lost its session, and cannot silently take the name back.
    const lost = await a.call("send", { to: "barney", content: "still fred?" });
    expect(lost.isError).toBe(true);
    expect(lost.text).toContain("fred is held by another live session");
    await ipc(e, ["register", "barney"]);
    const inbox = await ipcJson(e, ["check", "--as", "barney"]);
    expect(inbox.messages.map((m: { content: string }) => m.content)).toEqual(["fred now"]);
  });

  test("commands and hooks run by the host act as the name its MCP server registered", async () => {
    const e = ipcEnv();
    await using _broker = await startBrokerProcess(e);
    // This test process plays the host: the server, `ipc whoami` and the hook are its children.
    await using s = await startMcp(e, { cwd: project("billing"), env: { IPC_SEAT: "codex" } });
    expect(instructedName(s)).toBe("codex-billing");
    expect(await ipcJson(e, ["whoami"])).toMatchObject({ name: "codex-billing", source: "mcp" });
    await ipc(e, ["register", "me"]);
    await ipc(e, ["send", "codex-billing", "hook mail", "--as", "me"]);
    const hook = await ipc(e, ["hook", "claude-code", "--always"], { stdin: JSON.stringify({ hook_event_name: "UserPromptSubmit" }) });
    expect(hook.stdout).toContain("hook mail");
    expect(hook.stdout).toContain("codex-billing");
  });

  test("read_message tells the sender when the recipient read it", async () => {
    const e = ipcEnv();
    await using _broker = await startBrokerProcess(e);
    await using a = await startMcp(underOwnHost(e), { name: "fred" });
    await ipc(e, ["register", "barney"]);
    const sent = await a.call("send", { to: "barney", content: "read me" });
    const id = Number(sent.text.match(/#(\d+)/)?.[1]);
    expect((await a.call("read_message", { message_id: id })).text).toContain("· unread");
    await ipc(e, ["check", "--as", "barney"]);
    expect((await a.call("read_message", { message_id: id })).text).toMatch(/✓ read \d{4}-/);
  });
});
