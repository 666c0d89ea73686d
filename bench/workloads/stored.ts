/**
 * A database that already holds many messages (1 000 000 in the full run),
 * written straight into a fresh IPC_HOME with ipc's own schema before the
 * broker starts: 99 % read (history), 1 % unread spread over 1 000 names.
 */
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { openDatabase } from "../../src/store/database.ts";
import { InstanceStore } from "../../src/store/instances.ts";
import { tempHome } from "../lib/procs.ts";

/** Builds the stored-messages database once; returns its path. */
export function prefill(count: number): string {
  const home = tempHome();
  const path = join(home, "ipc.db");
  const db = openDatabase(path);
  const now = Date.now();
  // Each message records its sender's and recipient's identities, as the broker's insert does.
  const ins = db.prepare(
    `INSERT INTO messages (sender, recipient, kind, content, data, reply_to, created_at, read_at, sender_id, recipient_id)
     VALUES (?1, ?2, 'direct', ?3, NULL, NULL, ?4, ?5, (SELECT identity FROM instances WHERE name = ?1), (SELECT identity FROM instances WHERE name = ?2))`,
  );
  const users = 1000;
  db.transaction(() => {
    // Registered as the broker registers them (identity, instance, the names it held).
    const instances = new InstanceStore(db);
    for (let u = 0; u < users; u++) instances.upsert(`user${u}`, now);
    for (let i = 0; i < count; i++) {
      const created = now - (count - i) * 10;
      ins.run(`user${i % users}`, `user${(i * 7 + 1) % users}`, `stored message ${i}: the quick brown fox jumps over the lazy dog`, created, i % 100 === 0 ? null : created + 5);
    }
  })();
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
  return path;
}

/** A fresh IPC_HOME holding a copy of the prefilled database. */
export function homeWith(dbPath: string): string {
  const home = tempHome();
  copyFileSync(dbPath, join(home, "ipc.db"));
  return home;
}
