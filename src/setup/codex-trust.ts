/**
 * Whether Codex will run the ipc hooks in its hooks.json. Codex (0.171) runs
 * a hook from ~/.codex/hooks.json only once the user trusted it: its "Hooks
 * need review" dialog (or /hooks, then t) writes
 * `[hooks.state."<hooks.json>:<event>:<group>:<index>"] trusted_hash =
 * "sha256:…"` into config.toml, and a hook whose entry changed since needs
 * review again. ipc never writes that state itself: the person decides.
 *
 * The authoritative answer comes from Codex: `codex app-server` (stdio
 * JSON-RPC) answers `hooks/list` with each hook's `key`, `command`,
 * `currentHash` and `trustStatus` (app-server protocol, Codex 0.171). Without a
 * Codex to ask, config.toml's `hooks.state` tells whether a hook was ever
 * trusted, not whether it changed since.
 */
import { join } from "node:path";
import { isIpcHook } from "./hooks.ts";
import { isObject, parseJsonConfig, valueAt } from "./json-config.ts";
import { parseTomlConfig } from "./toml-config.ts";
import { readText } from "./write-file.ts";

/** How long Codex may take to answer hooks/list (ms). */
const ASK_TIMEOUT_MS = 15_000;

/** One ipc hook in Codex's hooks.json and whether Codex trusts it. */
export interface CodexHookTrust {
  /** Codex's key of the hook: `<hooks.json>:<event in snake_case>:<group>:<index>`. */
  key: string;
  event: string;
  command: string;
  /** "trusted", or Codex's word for why not (e.g. "untrusted", "modified"); "unknown" when nobody could say. */
  status: string;
}

/** What ipc knows about the trust of its Codex hooks, and from where. */
export interface CodexTrustReport {
  hooksFile: string;
  hooks: CodexHookTrust[];
  /** "codex": Codex's own hooks/list; "config": config.toml's hooks.state only (never trusted vs trusted once). */
  source: "codex" | "config";
  /** Why Codex could not be asked, when source is "config". */
  note?: string;
}

/** "SessionStart" → "session_start". */
const snake = (event: string) => event.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();

/** The ipc hooks in Codex's hooks.json (`codexHome`/hooks.json) with Codex's keys; [] when there are none or the file is unreadable. */
export function ipcCodexHooks(codexHome: string): Array<Omit<CodexHookTrust, "status">> {
  const file = join(codexHome, "hooks.json");
  const text = readText(file);
  if (text === null) return [];
  let root: unknown;
  try {
    root = parseJsonConfig(file, text);
  } catch {
    return [];
  }
  const hooks = valueAt(root, ["hooks"]);
  const found: Array<Omit<CodexHookTrust, "status">> = [];
  if (!isObject(hooks)) return found;
  for (const [event, groups] of Object.entries(hooks)) {
    (Array.isArray(groups) ? groups : []).forEach((g, gi) => {
      (isObject(g) && Array.isArray(g.hooks) ? g.hooks : []).forEach((h, hi) => {
        if (isObject(h) && isIpcHook(h.command)) found.push({ key: `${file}:${snake(event)}:${gi}:${hi}`, event, command: h.command });
      });
    });
  }
  return found;
}

/** config.toml's `hooks.state` keys that carry a trusted_hash. */
function trustedKeys(codexHome: string): Set<string> {
  const file = join(codexHome, "config.toml");
  const text = readText(file);
  if (text === null) return new Set();
  try {
    const state = valueAt(parseTomlConfig(file, text), ["hooks", "state"]);
    if (!isObject(state)) return new Set();
    return new Set(Object.entries(state).flatMap(([k, v]) => (isObject(v) && typeof v.trusted_hash === "string" ? [k] : [])));
  } catch {
    return new Set();
  }
}

/**
 * Asks Codex (`codex app-server` on stdio, JSON-RPC: initialize, then hooks/list)
 * for the trust status of every hook it sees from `cwd`: key → trustStatus.
 * @throws Error saying why when Codex cannot be asked or does not answer in time.
 */
export async function askCodexHookTrust(codex: string[], cwd: string): Promise<Map<string, string>> {
  // Codex inherits this environment, so it finds the same CODEX_HOME / HOME as hostDirs() did.
  const proc = Bun.spawn([...codex, "app-server"], { cwd, stdin: "pipe", stdout: "pipe", stderr: "ignore" });
  const timer = setTimeout(() => proc.kill(), ASK_TIMEOUT_MS);
  try {
    const send = (o: unknown) => proc.stdin.write(`${JSON.stringify(o)}\n`);
    send({ id: 1, method: "initialize", params: { clientInfo: { name: "ipc-doctor", version: "1" } } });
    send({ method: "initialized" });
    send({ id: 2, method: "hooks/list", params: { cwds: [cwd] } });
    await proc.stdin.flush();
    let buf = "";
    const decoder = new TextDecoder();
    for await (const chunk of proc.stdout) {
      buf += decoder.decode(chunk, { stream: true });
      for (let nl = buf.indexOf("\n"); nl !== -1; nl = buf.indexOf("\n")) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let msg: any;
        try {
          msg = JSON.parse(line);
        } catch {
          continue;
        }
        if (msg?.id !== 2) continue;
        if (msg.error !== undefined) throw new Error(`codex app-server answered hooks/list with an error: ${String(msg.error?.message ?? JSON.stringify(msg.error)).slice(0, 200)}`);
        const out = new Map<string, string>();
        for (const entry of Array.isArray(msg.result?.data) ? msg.result.data : []) {
          for (const h of Array.isArray(entry?.hooks) ? entry.hooks : []) if (typeof h?.key === "string") out.set(h.key, String(h.trustStatus ?? "unknown"));
        }
        return out;
      }
    }
    throw new Error(`codex app-server ended without answering hooks/list`);
  } finally {
    clearTimeout(timer);
    proc.kill();
  }
}

/**
 * The trust of ipc's Codex hooks in `codexHome`: from Codex itself when a `codex`
 * command is given and answers, else from config.toml's hooks.state. null when
 * hooks.json holds no ipc hook.
 */
export async function codexTrustReport(codexHome: string, codex: string[] | null, cwd: string): Promise<CodexTrustReport | null> {
  const hooks = ipcCodexHooks(codexHome);
  if (hooks.length === 0) return null;
  const hooksFile = join(codexHome, "hooks.json");
  let note = "no codex command on PATH to ask";
  if (codex !== null) {
    try {
      const statuses = await askCodexHookTrust(codex, cwd);
      return { hooksFile, source: "codex", hooks: hooks.map((h) => ({ ...h, status: statuses.get(h.key) ?? "unknown" })) };
    } catch (err) {
      note = err instanceof Error ? err.message : String(err);
    }
  }
  const trusted = trustedKeys(codexHome);
  return { hooksFile, source: "config", note, hooks: hooks.map((h) => ({ ...h, status: trusted.has(h.key) ? "trusted" : "untrusted" })) };
}

/** What the person does so that Codex runs the ipc hooks: one sentence. */
export const CODEX_TRUST_HOW =
  "start Codex and answer its \"Hooks need review\" dialog with \"Trust all and continue\" (or type /hooks, choose each ipc hook and press t); Codex runs no hook before that";
