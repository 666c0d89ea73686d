/**
 * The user's own rule for messages from other sessions: Claude Code's
 * `crossSessionInbound` setting (`accept`, `hold` or `refuse`). Claude Code
 * 2.1.332 decides it like this, and so does this file: the first of managed
 * settings and user settings that sets it wins; the project's
 * `.claude/settings.json` and `.claude/settings.local.json` may only tighten
 * it; a value it does not know means `hold`; unset means `accept` for
 * messages a session's own child writes. Under `hold` a message ipc writes is
 * parked for the person's review, under `refuse` it is dropped, so ipc writes
 * into the inbox only under `accept` (docs/wake.md#claude-code-the-sessions-own-inbox).
 * `--settings` files given on Claude Code's command line are not read.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { ClaudeMessaging } from "../config.ts";

export type Inbound = "accept" | "hold" | "refuse";

/** The policy in force and the file that decided it (null: nothing set it, the default `accept`). */
export interface InboundPolicy {
  value: Inbound;
  decidedBy: string | null;
}

const RANK: Record<Inbound, number> = { accept: 0, hold: 1, refuse: 2 };

/** `crossSessionInbound` of one settings file: undefined when the file or the key is absent or the file is not JSON. */
function settingIn(file: string): unknown {
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as unknown;
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>).crossSessionInbound : undefined;
  } catch {
    return undefined;
  }
}

/** The managed settings files: managed-settings.json, then the drop-ins of managed-settings.d/ in name order (later ones win). */
function managedFiles(dir: string): string[] {
  let dropIns: string[] = [];
  try {
    dropIns = readdirSync(join(dir, "managed-settings.d"))
      .filter((f) => f.endsWith(".json"))
      .sort()
      .map((f) => join(dir, "managed-settings.d", f));
  } catch {}
  return [join(dir, "managed-settings.json"), ...dropIns];
}

/** The inbound policy for a Claude Code session in `project` (its folder) with `m`'s settings folders. */
export function inboundPolicy(m: Pick<ClaudeMessaging, "configDir" | "managedDir">, project: string): InboundPolicy {
  let value: Inbound | undefined;
  let decidedBy: string | null = null;
  let invalid: string | null = null;
  const take = (file: string, s: unknown): Inbound | undefined => {
    if (s === undefined) return undefined;
    if (s === "accept" || s === "hold" || s === "refuse") return s;
    invalid ??= file;
    return undefined;
  };
  const managed = managedFiles(m.managedDir).map((f) => [f, take(f, settingIn(f))] as const).filter(([, s]) => s !== undefined);
  const last = managed.at(-1);
  if (last !== undefined) [decidedBy, value] = [last[0], last[1]!];
  if (value === undefined) {
    const user = join(m.configDir, "settings.json");
    const s = take(user, settingIn(user));
    if (s !== undefined) [decidedBy, value] = [user, s];
  }
  for (const file of [join(project, ".claude", "settings.local.json"), join(project, ".claude", "settings.json")]) {
    const s = take(file, settingIn(file));
    if (s !== undefined && RANK[s] > RANK[value ?? "accept"]) [decidedBy, value] = [file, s];
  }
  if (RANK[value ?? "accept"] < RANK.hold && invalid !== null) return { value: "hold", decidedBy: invalid };
  return { value: value ?? "accept", decidedBy };
}

/** The policy as a sentence for the log and ipc doctor. */
export function policyText(p: InboundPolicy): string {
  return p.decidedBy === null ? "crossSessionInbound is not set (accept)" : `crossSessionInbound is "${p.value}" (${p.decidedBy})`;
}
