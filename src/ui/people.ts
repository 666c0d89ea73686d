/**
 * The names the person at the dashboard posts as (issue 22, hole 5). A name
 * is a person's when the dashboard registered it first: it is kept here
 * (table `ui_people`, made by the dashboard when it first needs it) with the
 * identity it got then. A name an agent registered — connected now or not —
 * is never a person's; nor is a person's name once an agent holds a session
 * for it, or once it was released and registered afresh (a new identity).
 */
import type { Database } from "bun:sqlite";

const CREATE = "CREATE TABLE IF NOT EXISTS ui_people (name TEXT PRIMARY KEY, identity INTEGER NOT NULL)";
const GET = "SELECT identity FROM ui_people WHERE name = ?1";
const PUT = "INSERT OR REPLACE INTO ui_people (name, identity) VALUES (?1, ?2)";

export class People {
  constructor(private readonly db: Database) {}

  /** The identity `name` had when the dashboard registered it, or null when it never did. */
  identityOf(name: string): number | null {
    try {
      return this.db.query<{ identity: number }, [string]>(GET).get(name)?.identity ?? null;
    } catch (err) {
      // No table yet: the dashboard never registered a name here.
      if (String(err).includes("no such table")) return null;
      throw err;
    }
  }

  /** Every person's name with its identity (one query; the table is small: names the dashboard registered). */
  all(): Map<string, number> {
    try {
      return new Map(this.db.query<{ name: string; identity: number }, []>("SELECT name, identity FROM ui_people").all().map((r) => [r.name, r.identity]));
    } catch (err) {
      if (String(err).includes("no such table")) return new Map();
      throw err;
    }
  }

  /**
   * Records that the dashboard registered `name` as `identity`, inside the
   * caller's transaction (the table is made in it too, so a rolled-back post
   * leaves neither behind).
   */
  add(name: string, identity: number): void {
    this.db.run(CREATE);
    this.db.query(PUT).run(name, identity);
  }
}
