/** The JSON a host writes to a hook's stdin (Claude Code, Codex, Gemini CLI, Cursor: one object). */

/** The parsed hook input ("" is an empty object), or why it cannot be used. */
export function parseHookInput(input: string): { ok: true; value: Record<string, unknown> } | { ok: false; why: string } {
  if (input.trim() === "") return { ok: true, value: {} };
  try {
    const v = JSON.parse(input) as unknown;
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return { ok: true, value: v as Record<string, unknown> };
    return { ok: false, why: "the hook input is JSON but not an object" };
  } catch {
    return { ok: false, why: `the hook input is not JSON (${JSON.stringify(input.slice(0, 40))}…)` };
  }
}
