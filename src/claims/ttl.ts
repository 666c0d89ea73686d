/** Claim lifetimes as people type them: `90s`, `30m`, `2h`, `1d`, or bare minutes. */
import { IpcError } from "../protocol/errors.ts";

const UNIT_S: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * Seconds in `text` ("30m" → 1800; "45" means minutes).
 * @throws IpcError BAD_REQUEST (exit 2) for anything else, or outside 1 minute to 7 days.
 */
export function parseTtl(text: string): number {
  const m = /^(\d{1,6})([smhd]?)$/.exec(text.trim());
  const seconds = m === null ? Number.NaN : Number(m[1]) * UNIT_S[m[2] || "m"]!;
  if (!(seconds >= 60 && seconds <= 7 * 86_400)) {
    throw new IpcError("BAD_REQUEST", `--ttl must be 1m to 7d, like 30m, 2h or 1d; got "${text}"`, 2);
  }
  return seconds;
}
