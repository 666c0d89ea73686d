/** Channels as text, for `ipc channel` and the MCP channels tool. */
import type { ChannelInfo } from "../protocol/channels.ts";

/** One line per channel: `#name (joined): member, member`; `none` when there are none. */
export function formatChannels(channels: readonly ChannelInfo[], none: string): string {
  if (channels.length === 0) return none;
  return channels.map((c) => `${c.name}${c.joined ? " (joined)" : ""}: ${c.members.length === 0 ? "no members" : c.members.join(", ")}`).join("\n");
}
