/**
 * The real Claude Code (the pinned devDependency @anthropic-ai/claude-code)
 * run interactively in tmux against a stand-in Messages API
 * (messages-api.ts): a temporary HOME whose .claude.json has onboarding done,
 * the dummy API key approved and the project trusted, so the session starts
 * straight at its prompt. Each session gets its own tmux server (-L), killed
 * on dispose.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { killTree } from "./process-tree.ts";

const ROOT = resolve(import.meta.dir, "../..");

/** The pinned Claude Code's binary. */
export const CLAUDE_BIN = join(ROOT, "node_modules", ".bin", "claude");

/** A dummy key in the format of Anthropic API keys (the stand-in accepts anything). */
export const DUMMY_KEY = "sk-ant-api03-ipc-tests-dummy-key-000000000000000000000000";

/** Why the real-Claude-Code tests cannot run here, or null when they can. */
export function claudeSkipReason(): string | null {
  if (!existsSync(CLAUDE_BIN)) return `the pinned Claude Code is not installed (${CLAUDE_BIN} missing: run npm ci)`;
  const v = Bun.spawnSync([CLAUDE_BIN, "--version"], { stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: tmpdir() } });
  if (v.exitCode !== 0) return `${CLAUDE_BIN} --version failed (${v.stderr.toString().trim().slice(0, 200)})`;
  if (Bun.which("tmux") === null) return "tmux is not installed (apt-get install tmux)";
  return null;
}

/** A temporary HOME for Claude Code in which `projects` are trusted and onboarding is done. */
export function claudeHome(projects: string[]): string {
  const home = mkdtempSync(join(tmpdir(), "ipc-claude-home-"));
  mkdirSync(join(home, ".claude"), { recursive: true });
  const trusted = Object.fromEntries(projects.map((p) => [p, { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true, allowedTools: [] }]));
  const state = {
    hasCompletedOnboarding: true,
    lastOnboardingVersion: "2.1.332",
    theme: "dark",
    customApiKeyResponses: { approved: [DUMMY_KEY.slice(-20)], rejected: [] },
    projects: trusted,
  };
  writeFileSync(join(home, ".claude.json"), `${JSON.stringify(state, null, 2)}\n`);
  return home;
}

/** A temporary project folder. */
export function projectDir(prefix = "ipc-claude-project-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface ClaudeSession extends AsyncDisposable {
  /** The visible screen of the session. */
  screen(): string;
  /** Types `text` and presses Enter. */
  type(text: string): void;
  /** Resolves once the prompt (❯) shows, at most `ms`. @throws with the screen after `ms`. */
  ready(ms: number): Promise<void>;
}

/** The environment Claude Code runs with: HOME `home`, the stand-in API at `apiUrl`, a dummy key, no other traffic. */
function claudeEnv(home: string, apiUrl: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    TERM: "xterm-256color",
    LANG: "C.UTF-8",
    ANTHROPIC_BASE_URL: apiUrl,
    ANTHROPIC_API_KEY: DUMMY_KEY,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_AUTOUPDATER: "1",
    DISABLE_TELEMETRY: "1",
    NO_COLOR: "1",
  };
}

/** `claude -p PROMPT` (print mode: one answer, then exit), killed on dispose. */
export function claudePrint(opts: { home: string; project: string; apiUrl: string; prompt: string }): { exited: Promise<number> } & AsyncDisposable {
  const proc = Bun.spawn([CLAUDE_BIN, "-p", opts.prompt], { cwd: opts.project, env: claudeEnv(opts.home, opts.apiUrl), stdin: "ignore", stdout: "ignore", stderr: "ignore" });
  return {
    exited: proc.exited,
    async [Symbol.asyncDispose]() {
      proc.kill("SIGKILL");
      await proc.exited;
    },
  };
}

/**
 * Starts `claude ...args` in a fresh tmux server, in `project`, with HOME `home`,
 * pointed at the stand-in API `apiUrl`; `env` adds variables (its children, ipc mcp and hooks, inherit them).
 */
export function startClaude(opts: { home: string; project: string; apiUrl: string; args?: string[]; env?: Record<string, string> }): ClaudeSession {
  const socket = `ipc-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const env = { ...claudeEnv(opts.home, opts.apiUrl), ...opts.env };
  const tmux = (...a: string[]) => Bun.spawnSync(["tmux", "-L", socket, ...a], { env, stdout: "pipe", stderr: "pipe" });
  const command = [CLAUDE_BIN, ...(opts.args ?? [])].map((w) => `'${w.replaceAll("'", `'\\''`)}'`).join(" ");
  const started = tmux("new-session", "-d", "-s", "main", "-x", "160", "-y", "50", "-c", opts.project, command);
  if (started.exitCode !== 0) throw new Error(`tmux new-session failed: ${started.stderr.toString()}`);
  return {
    screen: () => tmux("capture-pane", "-p", "-t", "main").stdout.toString(),
    type(text) {
      tmux("send-keys", "-t", "main", "-l", text);
      tmux("send-keys", "-t", "main", "Enter");
    },
    async ready(ms) {
      const screen = () => tmux("capture-pane", "-p", "-t", "main").stdout.toString();
      try {
        await until(() => /^❯/m.test(screen()), ms, "Claude Code's prompt");
      } catch (err) {
        throw new Error(`${(err as Error).message}; screen:\n${screen()}`);
      }
      await Bun.sleep(500); // the input box takes keys a moment after it is drawn
    },
    async [Symbol.asyncDispose]() {
      await killTree(panePid(tmux));
      tmux("kill-server");
    },
  };
}

/** The pid of the process in tmux pane "main" (the host CLI), or null when the server is gone. */
export function panePid(tmux: (...a: string[]) => { stdout: Buffer }): number | null {
  const n = Number(tmux("display-message", "-p", "-t", "main", "#{pane_pid}").stdout.toString().trim());
  return Number.isSafeInteger(n) && n > 1 ? n : null;
}

/** The pid of the one wake waiter holding a slot in IPC_HOME `home` (`$IPC_HOME/wake/`), or null (none, or several). */
export function armedWaiter(home: string): number | null {
  const dir = join(home, "wake");
  if (!existsSync(dir)) return null;
  const held = readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => {
      try {
        return (JSON.parse(readFileSync(join(dir, f), "utf8")) as { pid: number | null }).pid;
      } catch {
        return null;
      }
    })
    .filter((pid) => pid !== null);
  return held.length === 1 ? held[0]! : null;
}

/** Waits until `ready()` holds, checking every `everyMs`, at most `ms`. @throws naming `what` after `ms`. */
export async function until(ready: () => boolean, ms: number, what: string, everyMs = 50): Promise<void> {
  const deadline = performance.now() + ms;
  while (!ready()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await Bun.sleep(everyMs);
  }
}

/** The names with a saved session in IPC_HOME `home` (`$IPC_HOME/sessions/<name>.json`). */
export function sessionNames(home: string): string[] {
  try {
    return readdirSync(join(home, "sessions")).flatMap((f) => (f.endsWith(".json") ? [f.slice(0, -5)] : []));
  } catch {
    return [];
  }
}
