/**
 * The real OpenCode (the pinned devDependency opencode-ai) run interactively
 * in tmux against a stand-in Chat Completions API (opencode-api.ts): a
 * temporary HOME whose ~/.config/opencode/opencode.json declares one
 * OpenAI-compatible provider ("stub", @ai-sdk/openai-compatible, which
 * OpenCode bundles) at the stand-in's base URL as the default model, with
 * sharing and auto-update off; OPENCODE_DISABLE_MODELS_FETCH and
 * OPENCODE_DISABLE_AUTOUPDATE keep it off the network. Each session gets its
 * own tmux server (-L), killed on dispose.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { panePid, until } from "./claude-code.ts";
import { killTree } from "./process-tree.ts";
import { STUB_MODEL } from "./opencode-api.ts";

const ROOT = resolve(import.meta.dir, "../..");

/** The pinned OpenCode's binary. */
export const OPENCODE_BIN = join(ROOT, "node_modules", ".bin", "opencode");

/** The version of the pinned OpenCode, or null when it does not run. */
export function opencodeVersion(): string | null {
  if (!existsSync(OPENCODE_BIN)) return null;
  const home = mkdtempSync(join(tmpdir(), "ipc-opencode-v-"));
  const v = Bun.spawnSync([OPENCODE_BIN, "--version"], { stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, OPENCODE_DISABLE_AUTOUPDATE: "1" } });
  return v.exitCode === 0 ? v.stdout.toString().trim() : null;
}

/** Why the real-OpenCode tests cannot run here, or null when they can. */
export function opencodeSkipReason(): string | null {
  if (!existsSync(OPENCODE_BIN)) return `the pinned OpenCode is not installed (${OPENCODE_BIN} missing: run npm ci)`;
  if (opencodeVersion() === null) return `${OPENCODE_BIN} --version failed`;
  if (Bun.which("tmux") === null) return "tmux is not installed (apt-get install tmux)";
  return null;
}

/** OpenCode's global config file in `home`. */
export function opencodeConfigFile(home: string): string {
  return join(home, ".config", "opencode", "opencode.json");
}

/** A temporary HOME for OpenCode whose global config uses the stand-in at `apiUrl` (…/v1) as its only model. */
export function opencodeHome(apiUrl: string): string {
  const home = mkdtempSync(join(tmpdir(), "ipc-opencode-home-"));
  mkdirSync(join(home, ".config", "opencode"), { recursive: true });
  const config = {
    $schema: "https://opencode.ai/config.json",
    model: `stub/${STUB_MODEL}`,
    small_model: `stub/${STUB_MODEL}`,
    autoupdate: false,
    share: "disabled",
    provider: {
      stub: {
        npm: "@ai-sdk/openai-compatible",
        name: "Stub",
        options: { baseURL: apiUrl, apiKey: "ipc-tests-dummy-key" },
        models: { [STUB_MODEL]: { name: "Stub model", tool_call: true, limit: { context: 100_000, output: 8_000 } } },
      },
    },
  };
  writeFileSync(opencodeConfigFile(home), `${JSON.stringify(config, null, 2)}\n`);
  return home;
}

/** OpenCode's global config in `home`, parsed. */
export function opencodeConfig(home: string): any {
  return JSON.parse(readFileSync(opencodeConfigFile(home), "utf8"));
}

/** The environment OpenCode runs with: HOME `home` and nothing that reaches the network. */
export function opencodeEnv(home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    TERM: "xterm-256color",
    LANG: "C.UTF-8",
    OPENCODE_DISABLE_MODELS_FETCH: "1",
    OPENCODE_DISABLE_AUTOUPDATE: "1",
    OPENCODE_DISABLE_LSP_DOWNLOAD: "1",
    OPENCODE_DISABLE_SHARE: "1",
    OPENCODE_DISABLE_DEFAULT_PLUGINS: "1",
    // OpenCode installs @opencode-ai/plugin into its config folders at every start (with its bundled
    // bun): point every registry at a closed loopback port, so the tests reach no registry and the
    // install fails at once instead (OpenCode logs it and carries on).
    NPM_CONFIG_REGISTRY: "http://127.0.0.1:9/",
    npm_config_registry: "http://127.0.0.1:9/",
    BUN_CONFIG_REGISTRY: "http://127.0.0.1:9/",
    npm_config_offline: "true",
  };
}

export interface OpencodeSession extends AsyncDisposable {
  /** The visible screen of the session. */
  screen(): string;
  /** Types `text` and presses Enter. */
  type(text: string): void;
  /** Resolves once `ready` matches the screen, at most `ms`. @throws with the screen after `ms`. */
  ready(ms: number, ready?: RegExp): Promise<void>;
}

/** Starts `opencode ...args` in a fresh tmux server, in `project`, with HOME `home`. */
export function startOpencode(opts: { home: string; project: string; args?: string[]; env?: Record<string, string> }): OpencodeSession {
  const socket = `ipc-opencode-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const env = { ...opencodeEnv(opts.home), ...opts.env };
  const tmux = (...a: string[]) => Bun.spawnSync(["tmux", "-L", socket, ...a], { env, stdout: "pipe", stderr: "pipe" });
  const command = [OPENCODE_BIN, ...(opts.args ?? [])].map((w) => `'${w.replaceAll("'", `'\\''`)}'`).join(" ");
  const started = tmux("new-session", "-d", "-s", "main", "-x", "160", "-y", "50", "-c", opts.project, command);
  if (started.exitCode !== 0) throw new Error(`tmux new-session failed: ${started.stderr.toString()}`);
  tmux("set-option", "-t", "main", "remain-on-exit", "on"); // a crash's last words stay on screen
  const screen = () => tmux("capture-pane", "-p", "-J", "-t", "main").stdout.toString();
  return {
    screen,
    type(text) {
      tmux("send-keys", "-t", "main", "-l", text);
      Bun.sleepSync(200);
      tmux("send-keys", "-t", "main", "Enter");
    },
    async ready(ms, ready = /Stub model|stub-model|ctrl\+p|tab agents/i) {
      try {
        await until(() => ready.test(screen()), ms, "OpenCode's prompt");
      } catch (err) {
        throw new Error(`${(err as Error).message}; screen:\n${screen()}`);
      }
      await Bun.sleep(1_000);
    },
    async [Symbol.asyncDispose]() {
      await killTree(panePid(tmux));
      tmux("kill-server");
    },
  };
}
