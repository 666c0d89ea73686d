/** Legacy reply texts (docs/design.md#6-legacy-protocol): a JSON object, no newline, then the connection closes. */
import type { LegacyReply } from "../../../protocol/legacy.ts";

/** Serialises a legacy reply. */
export function legacyText(reply: LegacyReply): string {
  return JSON.stringify(reply);
}

/** `{"status":"error","message":…}` */
export function legacyErrorText(message: string): string {
  return legacyText({ status: "error", message });
}

/** The legacy project's message for a missing or unknown token. */
export const LEGACY_BAD_TOKEN = "Invalid or missing session token";
