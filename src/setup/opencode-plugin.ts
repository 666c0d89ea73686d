/**
 * The ipc plugin of OpenCode, written by `ipc setup opencode --hooks`:
 * OpenCode loads every .js file of `~/.config/opencode/plugins/` (project:
 * `.opencode/plugins/`) at start and hands it a client of its own server
 * (opencode.ai/docs/plugins; checked with OpenCode 1.18.33, whose plugin
 * client offers session.promptAsync and tui.appendPrompt / tui.submitPrompt,
 * and whose events include session.status and session.idle with a sessionID).
 *
 * What the plugin does: it keeps one wake waiter (`ipc hook opencode --wake
 * --confirm`, src/hook/opencode.ts) running, armed when OpenCode starts and
 * again each time a session goes idle. When the waiter prints mail (one JSON
 * line), the plugin starts a turn with it: in the session that last went
 * idle (`session.promptAsync`), or, before any session exists, by submitting
 * it in the TUI's prompt; it answers the waiter `delivered` once that worked
 * (the mail is read, its sender hears `delivered`), else `failed` (it stays
 * unread). Mail that arrives while a session is busy is answered `failed`
 * and stays unread; the waiter armed when the session goes idle hands it
 * over then (delivered at turn end). A waiter that cannot start (no ipc name
 * yet) is retried a few times, then waits for the next idle. Problems go to
 * OpenCode's log (service "ipc").
 */
import { join } from "node:path";
import { moreHostDirs } from "../config.ts";
import type { Places, Scope } from "./hosts.ts";
import { type Written, readText, replaceFile } from "./write-file.ts";

/** The file name of our plugin; a file of that name is ours to overwrite. */
export const PLUGIN_NAME = "ipc-wake.js";

/** Where the plugin goes for `scope`. */
export function opencodePluginFile(scope: Scope, places: Places): string {
  return scope === "project" ? join(places.project, ".opencode", "plugins", PLUGIN_NAME) : join(moreHostDirs(places.home).opencodeDir, "plugins", PLUGIN_NAME);
}

/** The plugin's source for the waiter command `argv` (…, "hook", "opencode", "--wake", maybe "--as", NAME) run with `env` added. */
export function opencodePluginText(argv: string[], env: Record<string, string>): string {
  return `// ipc: wakes an idle OpenCode session when mail arrives (docs/wake.md).
// Written by \`ipc setup opencode --hooks\`; running it again rewrites this file.
import { spawn } from "node:child_process";

const WAITER = ${JSON.stringify(argv)};
const ENV = ${JSON.stringify(env)};
/** Retries of a waiter that ended early (its session's name not registered yet: it waits 20 s for it), 5 s apart. */
const RETRIES = 12;

export const IpcWake = async ({ client }) => {
  let target = null; // the session to wake: the one that last went idle (null: none yet, use the TUI)
  let busy = false;
  let waiter = null;
  let retries = 0;
  const log = (level, message) => client.app.log({ body: { service: "ipc", level, message } }).catch(() => {});

  /** Starts a turn with the text; true once OpenCode took it. While a session is busy: false (the mail stays unread for the next idle). */
  const deliver = async (text) => {
    if (busy) return false;
    try {
      if (target !== null) await client.session.promptAsync({ path: { id: target }, body: { parts: [{ type: "text", text }] } });
      else {
        await client.tui.appendPrompt({ body: { text } });
        await client.tui.submitPrompt();
      }
      return true;
    } catch (err) {
      log("error", \`could not start a turn with the mail (it stays unread): \${err}\`);
      return false;
    }
  };

  const arm = () => {
    if (waiter !== null) return;
    let out = "";
    let err = "";
    let answered = false;
    const started = Date.now();
    const proc = spawn(WAITER[0], WAITER.slice(1), { env: { ...process.env, ...ENV }, stdio: ["pipe", "pipe", "pipe"] });
    waiter = proc;
    proc.stdin.on("error", () => {});
    proc.stdout.on("data", (d) => {
      out += d;
      const nl = out.indexOf("\\n");
      if (nl === -1 || answered) return;
      answered = true;
      let text = null;
      try {
        text = JSON.parse(out.slice(0, nl)).text;
      } catch {}
      // The waiter marks the mail read only when told it was delivered.
      void (typeof text === "string" ? deliver(text) : Promise.resolve(false)).then((ok) => proc.stdin.end(ok ? "delivered\\n" : "failed\\n"));
    });
    proc.stderr.on("data", (d) => (err += d));
    proc.on("error", (e) => log("error", \`cannot run \${WAITER[0]}: \${e.message}\`));
    proc.on("close", (code) => {
      waiter = null;
      if (err.trim() !== "") log("warn", err.trim());
      if (code === 2 || answered) {
        retries = 0; // delivered (the woken turn's idle arms the next waiter), or handed back while busy (so does the next idle)
        return;
      }
      // Ended early (its session's name not registered yet, no broker): try again a few times; otherwise the next idle re-arms.
      if (Date.now() - started < 300_000 && retries < RETRIES) {
        retries += 1;
        setTimeout(arm, 5_000);
      }
    });
  };

  arm(); // armed at start: a fresh session is reachable before its first prompt
  return {
    event: async ({ event }) => {
      const p = event.properties ?? {};
      if (event.type === "session.status" && p.status?.type === "busy") {
        busy = true;
        target = p.sessionID ?? target;
      } else if (event.type === "session.idle") {
        busy = false;
        target = p.sessionID ?? target;
        arm();
      }
    },
  };
};
`;
}

/** The plugin as `ipc setup opencode --hooks` shows or writes it. */
export interface PluginStep {
  file: string;
  text: string;
  /** What happened to the file (--write), else null. */
  written: Written | null;
}

/**
 * The plugin of `scope` whose waiter runs `self … hook opencode --wake`
 * (with `--as NAME` for a fixed name) with the broker's address `env`;
 * written (backup first, nothing when unchanged) when `write`.
 */
export function opencodePluginStep(opts: { scope: Scope; places: Places; self: string[]; name: string | null; env: Record<string, string>; write: boolean; now?: Date }): PluginStep {
  const file = opencodePluginFile(opts.scope, opts.places);
  const argv = [...opts.self, "hook", "opencode", "--wake", "--confirm", ...(opts.name ? ["--as", opts.name] : [])];
  const text = opencodePluginText(argv, opts.env);
  return { file, text, written: opts.write ? replaceFile(file, readText(file), text, opts.now) : null };
}
