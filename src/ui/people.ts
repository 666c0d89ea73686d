/**
 * The names the person at the dashboard posts as (issue 22, hole 5). A name
 * is a person's when the dashboard registered it first: it is kept here
 * (table `ui_people`, made by the dashboard on first use) with the identity
 * it got then. A name an agent registered — connected now or not — is never a
 * person's; nor is a person's name once an agent holds a session for it, or
 * once it was released and registered afresh (a new identity).
 */
import type { Database, Statement } from "bun:sqlite";

export class People {
  private readonly sGet: Statement<{ identity: number }>;
  private readonly sPut: Statement;

  constructor(db: Database) {
    db.run("CREATE TABLE IF NOT EXISTS ui_people (name TEXT PRIMARY KEY, identity INTEGER NOT NULL)");
    this.sGet = db.prepare("SELECT identity FROM ui_people WHERE name = ?1");
    this.sPut = db.prepare("INSERT OR REPLACE INTO ui_people (name, identity) VALUES (?1, ?2)");
  }

  /** The identity `name` had when the dashboard registered it, or null when it never did. */
  identityOf(name: string): number | null {
    return this.sGet.get(name)?.identity ?? null;
  }

  /** Records that the dashboard registered `name` as `identity` (inside the caller's transaction). */
  add(name: string, identity: number): void {
    this.sPut.run(name, identity);
  }
}
