/**
 * The real Gemini CLI (the pinned devDependency @google/gemini-cli) run
 * interactively in tmux against a stand-in Gemini API (gemini-api.ts): a
 * temporary HOME whose ~/.gemini/settings.json selects API-key auth, turns off
 * update checks, usage statistics and telemetry, and whose
 * ~/.gemini/trustedFolders.json trusts the projects given (Gemini CLI starts
 * no MCP server and runs no hook in an untrusted folder). Each session gets
 * its own tmux server (-L), killed on dispose.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { until } from "./claude-code.ts";
import { killTree } from "./process-tree.ts";

const ROOT = resolve(import.meta.dir, "../..");

/** The pinned Gemini CLI's launcher. */
export const GEMINI_BIN = join(ROOT, "node_modules", ".bin", "gemini");

/** A dummy API key (the stand-in accepts anything). */
export const DUMMY_GEMINI_KEY = "AIza-ipc-tests-dummy-key-0000000000000";

/** The version of the pinned Gemini CLI, or null when it does not run. */
export function geminiVersion(): string | null {
  if (!existsSync(GEMINI_BIN)) return null;
  const v = Bun.spawnSync([GEMINI_BIN, "--version"], { stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: tmpdir() } });
  return v.exitCode === 0 ? v.stdout.toString().trim() : null;
}

/** Why the real-Gemini-CLI tests cannot run here, or null when they can. */
export function geminiSkipReason(): string | null {
  if (!existsSync(GEMINI_BIN)) return `the pinned Gemini CLI is not installed (${GEMINI_BIN} missing: run npm ci)`;
  if (geminiVersion() === null) return `${GEMINI_BIN} --version failed`;
  if (Bun.which("tmux") === null) return "tmux is not installed (apt-get install tmux)";
  return null;
}

/** Gemini CLI's user settings for offline tests: API-key auth, no update checks, no usage statistics, no telemetry, no nudges. */
export const OFFLINE_SETTINGS = {
  security: { auth: { selectedType: "gemini-api-key" } },
  general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
  privacy: { usageStatisticsEnabled: false },
  telemetry: { enabled: false },
  ide: { enabled: false, hasSeenNudge: true },
  ui: { theme: "Default" },
};

/**
 * A temporary HOME for Gemini CLI with the offline settings; `trusted` folders
 * are listed in ~/.gemini/trustedFolders.json (TRUST_FOLDER).
 */
export function geminiHome(trusted: string[]): string {
  const home = mkdtempSync(join(tmpdir(), "ipc-gemini-home-"));
  mkdirSync(join(home, ".gemini"), { recursive: true });
  writeFileSync(join(home, ".gemini", "settings.json"), `${JSON.stringify(OFFLINE_SETTINGS, null, 2)}\n`);
  if (trusted.length > 0) writeFileSync(join(home, ".gemini", "trustedFolders.json"), `${JSON.stringify(Object.fromEntries(trusted.map((p) => [p, "TRUST_FOLDER"])), null, 2)}\n`);
  return home;
}

/** Gemini CLI's settings.json in `home`, parsed. */
export function geminiSettings(home: string): any {
  return JSON.parse(readFileSync(join(home, ".gemini", "settings.json"), "utf8"));
}

/** The environment Gemini CLI runs with: HOME `home`, the stand-in API at `apiUrl`, a dummy key. */
export function geminiEnv(home: string, apiUrl: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    TERM: "xterm-256color",
    LANG: "C.UTF-8",
    GOOGLE_GEMINI_BASE_URL: apiUrl,
    GEMINI_API_KEY: DUMMY_GEMINI_KEY,
    NO_COLOR: "1",
    NO_BROWSER: "1",
  };
}

export interface GeminiSession extends AsyncDisposable {
  /** The visible screen of the session. */
  screen(): string;
  /** Types `text` and presses Enter. */
  type(text: string): void;
  /** Resolves once the input prompt shows, at most `ms`. @throws with the screen after `ms`. */
  ready(ms: number): Promise<void>;
  /** Resolves once no turn runs (the prompt shows, no "esc to cancel" spinner) and the screen stayed so for a second, at most `ms`. */
  idle(ms: number): Promise<void>;
  /** Gemini CLI's own process id (tmux's pane process). */
  pid(): number | null;
}

/** The input box of Gemini CLI's interface is drawn ("Type your message"). */
const PROMPT = /Type your message/;

/** Starts `gemini ...args` in a fresh tmux server, in `project`, with HOME `home`, pointed at the stand-in API `apiUrl`. */
export function startGemini(opts: { home: string; project: string; apiUrl: string; args?: string[]; env?: Record<string, string> }): GeminiSession {
  const socket = `ipc-gemini-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const env = { ...geminiEnv(opts.home, opts.apiUrl), ...opts.env };
  const tmux = (...a: string[]) => Bun.spawnSync(["tmux", "-L", socket, ...a], { env, stdout: "pipe", stderr: "pipe" });
  const command = [GEMINI_BIN, ...(opts.args ?? [])].map((w) => `'${w.replaceAll("'", `'\\''`)}'`).join(" ");
  const started = tmux("new-session", "-d", "-s", "main", "-x", "160", "-y", "50", "-c", opts.project, command);
  if (started.exitCode !== 0) throw new Error(`tmux new-session failed: ${started.stderr.toString()}`);
  const screen = () => tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", "main").stdout.toString();
  const pid = () => {
    const n = Number(tmux("display-message", "-p", "-t", "main", "#{pane_pid}").stdout.toString().trim());
    return Number.isSafeInteger(n) && n > 1 ? n : null;
  };
  return {
    screen,
    type(text) {
      tmux("send-keys", "-t", "main", "-l", text);
      Bun.sleepSync(200); // Gemini CLI takes a pasted line and the Enter apart only after a moment
      tmux("send-keys", "-t", "main", "Enter");
    },
    async ready(ms) {
      try {
        await until(() => PROMPT.test(screen()), ms, "Gemini CLI's prompt");
      } catch (err) {
        throw new Error(`${(err as Error).message}; screen:\n${screen()}`);
      }
      await Bun.sleep(500);
    },
    async idle(ms) {
      const quiet = () => PROMPT.test(screen()) && !/esc to cancel/i.test(screen());
      const deadline = performance.now() + ms;
      let since = quiet() ? performance.now() : Number.POSITIVE_INFINITY;
      while (performance.now() - since < 1_000) {
        if (performance.now() > deadline) throw new Error(`Gemini CLI still busy after ${ms} ms; screen:\n${screen()}`);
        await Bun.sleep(100);
        if (!quiet()) since = Number.POSITIVE_INFINITY;
        else if (since === Number.POSITIVE_INFINITY) since = performance.now();
      }
    },
    pid,
    async [Symbol.asyncDispose]() {
      await killTree(pid());
      tmux("kill-server");
    },
  };
}
