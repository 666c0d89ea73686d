/**
 * `ipc doctor`: runs every check in order and renders the report, one line
 * per finding (✔ ok, ⚠ warning, ✖ failure with its fix, – nothing to check).
 */
import { palette } from "../cli/output.ts";
import type { Check, DoctorContext, Finding } from "./check.ts";
import { brokerCheck } from "./checks/broker.ts";
import { claudeInboxCheck } from "./checks/claude-inbox.ts";
import { clusterCheck } from "./checks/cluster.ts";
import { codexCheck } from "./checks/codex.ts";
import { databaseCheck } from "./checks/database.ts";
import { homeCheck } from "./checks/home.ts";
import { geminiTrustCheck } from "./checks/gemini-trust.ts";
import { hostsCheck } from "./checks/hosts.ts";
import { legacyCheck } from "./checks/legacy.ts";
import { opencodeCheck } from "./checks/opencode.ts";
import { namesCheck } from "./checks/names.ts";
import { remoteCheck } from "./checks/remote.ts";
import { securityCheck } from "./checks/security.ts";
import { sessionsCheck } from "./checks/sessions.ts";
import { versionCheck } from "./checks/version.ts";

/** The checks, in report order (security reads what broker saw). */
export const CHECKS: readonly Check[] = [versionCheck, homeCheck, brokerCheck, clusterCheck, remoteCheck, securityCheck, databaseCheck, sessionsCheck, hostsCheck, claudeInboxCheck, codexCheck, geminiTrustCheck, opencodeCheck, namesCheck, legacyCheck];

/** The doctor's verdict: ok unless some finding failed. */
export interface Report {
  ok: boolean;
  findings: Finding[];
}

/** Runs every check; a check that throws becomes a failure naming it. */
export async function diagnose(ctx: DoctorContext): Promise<Report> {
  const findings: Finding[] = [];
  for (const check of CHECKS) {
    try {
      findings.push(...(await check(ctx)));
    } catch (err) {
      findings.push({ check: check.name, status: "fail", message: `check failed unexpectedly: ${(err as Error).message}` });
    }
  }
  return { ok: findings.every((f) => f.status !== "fail"), findings };
}

/** The human report. */
export function renderReport(report: Report, color: boolean): string {
  const p = palette(color);
  const mark = { ok: p.green("✔"), warn: p.yellow("⚠"), fail: p.red("✖"), info: p.dim("–") };
  const lines = report.findings.map((f) => `${mark[f.status]} ${f.message}${f.fix && f.status !== "ok" ? `\n    ${p.dim("fix:")} ${f.fix}` : ""}`);
  const failed = report.findings.filter((f) => f.status === "fail").length;
  lines.push("", failed === 0 ? p.green("No problems found.") : p.red(`${failed} problem${failed === 1 ? "" : "s"} found.`));
  return lines.join("\n");
}
