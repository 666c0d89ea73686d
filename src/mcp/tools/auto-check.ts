/** auto_check: turn periodic mail checks on or off, or ask about them (src/auto-check/state.ts keeps the state). */
import * as v from "valibot";
import { type AutoCheckStatus, DEFAULT_MINUTES, MAX_MINUTES, MIN_MINUTES, autoCheckStatus, startAutoCheck, stopAutoCheck } from "../../auto-check/state.ts";
import { IpcError } from "../../protocol/errors.ts";
import { defineTool } from "./_tool.ts";

export const AutoCheckInput = v.object({
  action: v.pipe(v.picklist(["start", "stop", "status"], 'action is "start", "stop" or "status"'), v.description("start, stop, or show the status")),
  minutes: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(MIN_MINUTES),
      v.maxValue(MAX_MINUTES),
      v.description(`with start: check every this many minutes (${MIN_MINUTES}–${MAX_MINUTES}, default ${DEFAULT_MINUTES})`),
    ),
  ),
});

function statusText(s: AutoCheckStatus): string {
  if (!s.enabled) return `Auto-check is off for ${s.name}${s.last_check ? ` (last check ${s.last_check})` : ""}.`;
  return `Auto-check is on for ${s.name}: every ${s.interval_minutes} min; last check ${s.last_check ?? "not yet"}, next due ${s.next_check ?? "now"}.`;
}

export default defineTool({
  name: "auto_check",
  title: "Automatic mail checks",
  description:
    'Turn automatic mail checking on or off, or show it. Use for "start auto checking 5" (action start, minutes 5), "auto check every 10 minutes", "stop auto checking", "is auto check on?".',
  input: AutoCheckInput,
  aliases: { interval: "minutes", interval_minutes: "minutes" },
  example: '{"action": "start", "minutes": 5}',
  hints: { idempotentHint: true, openWorldHint: false },
  async run({ action, minutes }, { config, identity }) {
    const name = identity.name;
    if (name === null) throw new IpcError("UNAUTHENTICATED", "not registered");
    if (action === "start") return statusText(startAutoCheck(config, name, minutes ?? DEFAULT_MINUTES));
    if (action === "stop") return statusText(stopAutoCheck(config, name));
    return statusText(autoCheckStatus(config, name));
  },
});
