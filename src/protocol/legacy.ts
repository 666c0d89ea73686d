/**
 * The legacy protocol of claude-ipc-mcp (docs/design.md#6-legacy-protocol): one JSON object with
 * an `action`, no newline needed, one reply, then close. Field names follow
 * that project exactly; identity comes from `session_token` only, so
 * `from_id` and `instance_id` are accepted and ignored, and a rename's
 * `old_id`, when given, must name the caller (the broker refuses it otherwise).
 */
import * as v from "valibot";
import { Data } from "./message.ts";

const LegacyText = v.object({ content: v.string(), data: v.optional(v.nullable(Data)) });
const token = v.optional(v.nullable(v.string()));
const ignored = v.optional(v.unknown());

export const LegacyRequest = v.variant("action", [
  v.object({ action: v.literal("register"), instance_id: v.string(), auth_token: v.optional(v.nullable(v.string())) }),
  v.object({
    action: v.literal("send"),
    from_id: ignored,
    to_id: v.string(),
    message: v.union([LegacyText, v.string()]),
    session_token: token,
  }),
  v.object({ action: v.literal("broadcast"), from_id: ignored, message: v.union([LegacyText, v.string()]), session_token: token }),
  v.object({ action: v.literal("check"), instance_id: ignored, session_token: token }),
  v.object({ action: v.literal("list"), session_token: token }),
  v.object({ action: v.literal("rename"), old_id: ignored, new_id: v.string(), session_token: token }),
]);
export type LegacyRequest = v.InferOutput<typeof LegacyRequest>;

/** A message in a legacy `check` reply. */
export interface LegacyMessage {
  from: string;
  to: string;
  timestamp: string;
  message: { content: string; data?: Record<string, unknown> };
}

/** Every legacy reply: `status` plus the action's members. */
export type LegacyReply = { status: "ok" | "error"; message?: string } & Record<string, unknown>;
