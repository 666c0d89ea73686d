/**
 * Doctor: what Codex needs before the ipc hooks run, and how an idle Codex
 * session is woken. Codex runs hooks only once the person trusted them
 * (src/setup/codex-trust.ts); until then there is no mail at turn start or
 * end and no wake, and nothing else says so.
 */
import { join } from "node:path";
import { codexQueueMissing } from "../../hook/codex-wake.ts";
import { CODEX_TRUST_HOW, codexTrustReport } from "../../setup/codex-trust.ts";
import { isObject, valueAt } from "../../setup/json-config.ts";
import { parseTomlConfig } from "../../setup/toml-config.ts";
import { readText } from "../../setup/write-file.ts";
import type { Check, Finding } from "../check.ts";

const CHECK = "host:codex";

/** Codex's `features.daemon_auto_start` from config.toml: true, false, or undefined (Codex's default: on in 0.171). */
function daemonAutoStart(codexHome: string): boolean | undefined {
  const file = join(codexHome, "config.toml");
  const text = readText(file);
  if (text === null) return undefined;
  try {
    const v = valueAt(parseTomlConfig(file, text), ["features"]);
    return isObject(v) && typeof v.daemon_auto_start === "boolean" ? v.daemon_auto_start : undefined;
  } catch {
    return undefined;
  }
}

/** The trust of the ipc hooks in ~/.codex/hooks.json, asked of Codex when it is on PATH, and the wake path. */
export const codexCheck: Check = async (ctx) => {
  const codex = Bun.which("codex");
  const report = await codexTrustReport(ctx.places.codexHome, codex === null ? null : [codex], ctx.places.project);
  if (report === null) return [];
  const out: Finding[] = [];
  const waiting = report.hooks.filter((h) => h.status !== "trusted");
  const events = (list: typeof report.hooks) => [...new Set(list.map((h) => h.event))].join(", ");
  if (waiting.length > 0) {
    out.push({
      check: CHECK,
      status: "warn",
      message:
        `Codex: ${waiting.length} of the ipc hooks in ${report.hooksFile} (${events(waiting)}) are not trusted (${[...new Set(waiting.map((h) => h.status))].join(", ")}${report.source === "config" ? `, from config.toml's hooks.state; ${report.note}` : ", says Codex"}): ` +
        "Codex does not run them, so mail neither reaches the model at turn start and end nor wakes an idle session",
      fix: CODEX_TRUST_HOW,
    });
  } else if (report.source === "codex") {
    out.push({ check: CHECK, status: "ok", message: `Codex: the ipc hooks in ${report.hooksFile} (${events(report.hooks)}) are trusted (says Codex)` });
  } else {
    out.push({ check: CHECK, status: "info", message: `Codex: the ipc hooks in ${report.hooksFile} were trusted once (config.toml's hooks.state); whether they changed since only Codex can tell (${report.note})` });
  }
  if (report.hooks.some((h) => h.event === "SessionStart")) {
    const missing = codex === null ? null : await codexQueueMissing([codex]);
    if (codex === null) out.push({ check: CHECK, status: "info", message: "Codex: no `codex` on PATH, so ipc cannot check that it has `codex queue`; the wake waiter runs the Codex session's own executable" });
    if (missing !== null) {
      out.push({
        check: CHECK,
        status: "warn",
        message: `Codex: ${missing}: idle Codex sessions are not woken; mail reaches them at each turn through the hooks`,
        fix: "update Codex (npm install -g @openai/codex; ipc is tested with 0.171.0)",
      });
      return out;
    }
    const wake = "an idle Codex session is woken by its mail through `codex queue` (armed by the SessionStart hook at the session's first prompt)";
    // Measured with Codex 0.171 (docs/wake.md#latency): its shared server takes a queued message within ~0.1 s; a session's own process looks every 10 s.
    if (daemonAutoStart(ctx.places.codexHome) === false)
      out.push({
        check: CHECK,
        status: "info",
        message: `Codex: ${wake}. With daemon_auto_start = false each session runs in its own process, which looks for queued messages every 10 s: a wake takes up to ~10 s there (Codex's shared background server, its default, starts the turn within a second)`,
      });
    else out.push({ check: CHECK, status: "info", message: `Codex: ${wake}; with Codex's shared background server (its default) each session keeps its own name and waiter (ipc binds each thread to its own ipc MCP server)` });
  }
  return out;
};
