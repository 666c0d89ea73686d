/** Prepared queries over `channel_members` (migration 6): who is in which channel ('#name'). */
import type { Database, Statement } from "bun:sqlite";

export class ChannelStore {
  private readonly sJoin: Statement;
  private readonly sLeave: Statement;
  private readonly sMembers: Statement<{ member: string }>;
  private readonly sOf: Statement<{ channel: string }>;
  private readonly sAll: Statement<{ channel: string; member: string }>;
  private readonly sIsMember: Statement<{ one: number }>;
  private readonly sRename: Statement;

  constructor(db: Database) {
    this.sJoin = db.prepare("INSERT OR IGNORE INTO channel_members (channel, member, joined_at) VALUES (?, ?, ?)");
    this.sLeave = db.prepare("DELETE FROM channel_members WHERE channel = ? AND member = ?");
    this.sMembers = db.prepare("SELECT member FROM channel_members WHERE channel = ? ORDER BY member");
    this.sOf = db.prepare("SELECT channel FROM channel_members WHERE member = ? ORDER BY channel");
    this.sAll = db.prepare("SELECT channel, member FROM channel_members ORDER BY channel, member LIMIT 10000");
    this.sIsMember = db.prepare("SELECT 1 AS one FROM channel_members WHERE channel = ? AND member = ?");
    this.sRename = db.prepare("UPDATE OR REPLACE channel_members SET member = ?2 WHERE member = ?1");
  }

  /** Adds `member` to `channel` (no-op when already in); true when it was added. */
  join(channel: string, member: string, now: number): boolean {
    return this.sJoin.run(channel, member, now).changes > 0;
  }

  /** Removes `member` from `channel`; true when it was in. */
  leave(channel: string, member: string): boolean {
    return this.sLeave.run(channel, member).changes > 0;
  }

  /** The members of `channel`, by name. */
  members(channel: string): string[] {
    return this.sMembers.all(channel).map((r) => r.member);
  }

  /** The channels `member` is in, by name. */
  channelsOf(member: string): string[] {
    return this.sOf.all(member).map((r) => r.channel);
  }

  /** Every channel with its members (bounded). */
  all(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const r of this.sAll.all()) {
      const list = out.get(r.channel);
      if (list === undefined) out.set(r.channel, [r.member]);
      else list.push(r.member);
    }
    return out;
  }

  isMember(channel: string, member: string): boolean {
    return this.sIsMember.get(channel, member) !== null;
  }

  /** Memberships follow a rename. */
  rename(from: string, to: string): void {
    this.sRename.run(from, to);
  }
}
