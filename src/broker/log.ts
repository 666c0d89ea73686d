/**
 * Broker log: one line per event on stderr (broker.log when detached), at or
 * above the configured level. Never pass tokens, secrets or message content here.
 */
import type { LogLevel } from "../config.ts";

const RANK: Record<LogLevel, number> = { info: 0, warn: 1, error: 2, silent: 3 };
let threshold = 0;

/** Sets the lowest level that is written. */
export function setLogLevel(level: LogLevel): void {
  threshold = RANK[level];
}

function line(rank: number, label: string, msg: string): void {
  if (rank >= threshold) process.stderr.write(`${new Date().toISOString()} ${label} ${msg}\n`);
}

export const log = {
  info: (msg: string) => line(0, "info ", msg),
  warn: (msg: string) => line(1, "warn ", msg),
  error: (msg: string) => line(2, "error", msg),
};
