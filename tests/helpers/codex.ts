/**
 * The real Codex (the pinned devDependency @openai/codex) run interactively
 * in tmux against a stand-in Responses API (responses-api.ts): a temporary
 * HOME whose ~/.codex/config.toml points a custom model provider at the
 * stand-in (`model_provider`, `[model_providers.<id>]` with `wire_api =
 * "responses"`), never asks for approval and trusts the project, so the
 * session starts straight at its prompt. Each session gets its own tmux
 * server (-L), killed on dispose.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { panePid, until } from "./claude-code.ts";
import { killTree } from "./process-tree.ts";

const ROOT = resolve(import.meta.dir, "../..");

/** The pinned Codex's launcher. */
export const CODEX_BIN = join(ROOT, "node_modules", ".bin", "codex");

/** The environment variable holding the stand-in provider's (dummy) key. */
const KEY_VAR = "IPC_TEST_MOCK_KEY";

/** Why the real-Codex tests cannot run here, or null when they can. */
export function codexSkipReason(): string | null {
  if (!existsSync(CODEX_BIN)) return `the pinned Codex is not installed (${CODEX_BIN} missing: run npm ci)`;
  const v = Bun.spawnSync([CODEX_BIN, "--version"], { stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: tmpdir() } });
  if (v.exitCode !== 0) return `${CODEX_BIN} --version failed (${v.stderr.toString().trim().slice(0, 200)})`;
  if (Bun.which("tmux") === null) return "tmux is not installed (apt-get install tmux)";
  return null;
}

/** The version the pinned Codex reports, e.g. "0.171.0". */
export function codexVersion(): string {
  const v = Bun.spawnSync([CODEX_BIN, "--version"], { stdout: "pipe", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: tmpdir() } });
  return v.stdout.toString().trim().replace(/^codex-cli\s+/, "");
}

/** A TOML basic string. */
const str = (s: string) => JSON.stringify(s);

/**
 * A temporary HOME whose ~/.codex/config.toml uses the stand-in at `apiUrl`
 * (the provider's base_url, …/v1), never asks for approval, and trusts `projects`.
 * `ipc setup codex --write` adds its entry to this same file afterwards.
 */
export function codexHome(apiUrl: string, projects: string[], opts: { daemon?: boolean } = {}): string {
  const home = mkdtempSync(join(tmpdir(), "ipc-codex-home-"));
  mkdirSync(join(home, ".codex"), { recursive: true });
  const lines = [
    `model = "gpt-5"`,
    `model_provider = "mock"`,
    `approval_policy = "never"`,
    `sandbox_mode = "danger-full-access"`,
    `check_for_update_on_startup = false`,
    "",
    "[model_providers.mock]",
    `name = "mock"`,
    `base_url = ${str(apiUrl)}`,
    `wire_api = "responses"`,
    `experimental_bearer_token = "sk-ipc-tests-dummy"`,
    "request_max_retries = 0",
    "stream_max_retries = 0",
    "",
    // Without `daemon`, no shared background app-server: each session runs in its own process, gone with its tmux server.
    "[features]",
    `daemon_auto_start = ${opts.daemon === true}`,
    "",
    ...projects.flatMap((p) => [`[projects.${str(p)}]`, `trust_level = "trusted"`, ""]),
  ];
  writeFileSync(join(home, ".codex", "config.toml"), `${lines.join("\n")}\n`);
  return home;
}

/** A temporary project folder. */
export function projectDir(prefix = "ipc-codex-project-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The environment Codex runs with: HOME `home`, a dummy key for the stand-in, no other traffic. */
export function codexEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    TERM: "xterm-256color",
    LANG: "C.UTF-8",
    [KEY_VAR]: "sk-ipc-tests-dummy",
    NO_COLOR: "1",
    ...extra,
  };
}

export interface CodexSession extends AsyncDisposable {
  /** The visible screen of the session. */
  screen(): string;
  /** Types `text` and presses Enter, again if the composer still holds it (a key may be taken as part of a paste). */
  type(text: string): Promise<void>;
  /** Presses keys (tmux key names, e.g. "Enter", "Down"). */
  keys(...keys: string[]): void;
  /** Resolves once the composer shows, at most `ms`. @throws with the screen after `ms`. */
  ready(ms: number): Promise<void>;
  /** Resolves once `test` holds for the screen, at most `ms`. @throws with the screen after `ms`. */
  waitScreen(test: (screen: string) => boolean, ms: number, what: string): Promise<string>;
  /** The pid of the pane's process (codex's launcher). */
  pid(): number;
  /**
   * Answers Codex's "Hooks need review" dialog as a user would: "Trust all and continue".
   * @throws with the screen when the dialog does not show within `ms`.
   */
  trustHooks(ms: number): Promise<void>;
}

/** Starts `codex ...args` in a fresh tmux server, in `project`, with HOME `home` (see codexHome). */
export function startCodex(opts: { home: string; project: string; args?: string[]; env?: Record<string, string> }): CodexSession {
  const socket = `ipc-codex-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const env = codexEnv(opts.home, opts.env);
  const tmux = (...a: string[]) => Bun.spawnSync(["tmux", "-L", socket, ...a], { env, stdout: "pipe", stderr: "pipe" });
  const command = [CODEX_BIN, ...(opts.args ?? [])].map((w) => `'${w.replaceAll("'", `'\\''`)}'`).join(" ");
  const started = tmux("new-session", "-d", "-s", "main", "-x", "160", "-y", "50", "-c", opts.project, command);
  if (started.exitCode !== 0) throw new Error(`tmux new-session failed: ${started.stderr.toString()}`);
  const screen = () => tmux("capture-pane", "-p", "-t", "main").stdout.toString();
  const waitScreen = async (test: (s: string) => boolean, ms: number, what: string) => {
    try {
      await until(() => test(screen()), ms, what, 100);
    } catch (err) {
      throw new Error(`${(err as Error).message}; screen:\n${screen()}`);
    }
    return screen();
  };
  return {
    screen,
    async type(text) {
      tmux("send-keys", "-t", "main", "-l", text);
      const composer = () => screen().split("\n").filter((l) => /^› /.test(l)).at(-1) ?? "";
      await until(() => composer().includes(text.slice(0, 40)), 5_000, "the typed text in the composer", 50).catch(() => {});
      for (let attempt = 0; attempt < 5; attempt++) {
        await Bun.sleep(400);
        tmux("send-keys", "-t", "main", "Enter");
        const sent = await until(() => !composer().includes(text.slice(0, 40)), 2_000, "the composer to empty", 100).then(() => true, () => false);
        if (sent) return;
      }
    },
    keys(...keys) {
      tmux("send-keys", "-t", "main", ...keys);
    },
    async ready(ms) {
      await waitScreen((s) => /^› /m.test(s), ms, "Codex's composer");
      await Bun.sleep(300);
    },
    waitScreen,
    async trustHooks(ms) {
      await waitScreen((s) => s.includes("Hooks need review") && s.includes("Trust all and continue"), ms, "Codex's hook review dialog");
      const at = screen().split("\n");
      const chosen = at.findIndex((l) => /^\s*› /.test(l));
      const wanted = at.findIndex((l) => l.includes("Trust all and continue"));
      for (let i = 0; i < wanted - chosen; i++) tmux("send-keys", "-t", "main", "Down");
      Bun.sleepSync(200);
      tmux("send-keys", "-t", "main", "Enter");
      await waitScreen((s) => !s.includes("Hooks need review"), ms, "the dialog to close");
    },
    pid: () => Number(tmux("display-message", "-p", "-t", "main", "#{pane_pid}").stdout.toString().trim()),
    async [Symbol.asyncDispose]() {
      await killTree(panePid(tmux));
      tmux("kill-server");
    },
  };
}

/**
 * Stops the shared background server (app-server daemon) of Codex HOME `home`, if one runs, and its
 * helper processes, then deletes its installed copy of Codex (~430 MB per HOME).
 */
export function stopDaemon(home: string): void {
  Bun.spawnSync([CODEX_BIN, "app-server", "daemon", "stop"], { env: codexEnv(home), stdout: "ignore", stderr: "ignore" });
  Bun.spawnSync(["pkill", "-f", join(home, ".codex", "packages")], { stdout: "ignore", stderr: "ignore" });
  rmSync(join(home, ".codex", "packages"), { recursive: true, force: true });
}
