/** `ipc import-legacy`: the mail of a claude-ipc-mcp database arrives in ipc, once, and the old file is untouched. */
import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ipc, ipcCommand, ipcEnv, ipcJson, startBrokerProcess, tempHome } from "../helpers/processes.ts";

/** A database with the Python broker's schema (its `_init_database`) and a few rows. */
function legacyDatabase(): string {
  const path = join(tempHome("legacy-db-"), "messages.db");
  const db = new Database(path, { create: true });
  db.exec(`
    CREATE TABLE messages (
      id INTEGER PRIMARY KEY AUTOINCREMENT, from_id TEXT NOT NULL, to_id TEXT NOT NULL, content TEXT NOT NULL,
      timestamp TEXT NOT NULL, data TEXT, summary TEXT, large_file_path TEXT, read_flag INTEGER DEFAULT 0);
    CREATE TABLE instances (instance_id TEXT PRIMARY KEY, last_seen TEXT NOT NULL);
    CREATE TABLE sessions (session_token_hash TEXT PRIMARY KEY, instance_id TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL);
    CREATE TABLE name_history (old_name TEXT PRIMARY KEY, new_name TEXT NOT NULL, changed_at TEXT NOT NULL);
  `);
  const add = db.prepare("INSERT INTO messages (from_id, to_id, content, timestamp, data, read_flag) VALUES (?, ?, ?, ?, ?, ?)");
  add.run("Barney", "Fred", "Lunch at noon?", "2025-01-28T10:20:30.123456", '{"pr": 7}', 0); // 1: unread, mixed case
  add.run("wilma", "fred", "old news", "2025-01-27T09:00:00", null, 1); // 2: read
  add.run("barney", "not a name!", "lost?", "2025-01-28T11:00:00", null, 0); // 3: invalid recipient
  add.run("barney", "fred", "x".repeat(3000), "2025-01-28T12:00:00", null, 0); // 4: over the content limit below
  add.run("barney", "dino", "second", "garbage time", "[1,2]", 0); // 5: unreadable time, non-object data
  db.prepare("INSERT INTO instances VALUES (?, ?)").run("Wilma", "2025-01-28T09:00:00");
  db.close();
  return path;
}

describe("ipc import-legacy", () => {
  test("imports unread mail once, registers its names, reports what it skipped, leaves the file as it was", async () => {
    const legacy = legacyDatabase();
    const before = readFileSync(legacy);
    const e = ipcEnv({ IPC_MAX_CONTENT_BYTES: "2000" });
    e.home = join(e.home, "fresh");
    e.env.IPC_HOME = e.home;

    const dry = await ipcJson(e, ["import-legacy", legacy, "--dry-run"]);
    expect(dry).toMatchObject({ dry_run: true, unread: 2, read: 0, read_left_out: 1, already_imported: 0, names: ["dino", "fred", "wilma"] });
    expect(existsSync(e.home)).toBe(false); // a dry run writes nothing, not even IPC_HOME

    const first = await ipc(e, ["import-legacy", legacy]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("Imported 2 unread messages");
    expect(first.stdout).toContain("Skipped legacy message #3: recipient \"not a name!\" is not a valid ipc name");
    expect(first.stdout).toContain("Skipped legacy message #4: content is 3000 bytes, over the 2000-byte limit");
    expect(first.stdout).toContain("1 read message left out; add --all");

    const again = await ipcJson(e, ["import-legacy", legacy]);
    expect(again).toMatchObject({ unread: 0, already_imported: 2 });
    // The same data under another path (a copy, a moved file) is recognised too.
    const copy = join(tempHome(), "copy.db");
    copyFileSync(legacy, copy);
    expect(await ipcJson(e, ["import-legacy", copy])).toMatchObject({ unread: 0, already_imported: 2 });
    expect(readFileSync(legacy).equals(before)).toBe(true);

    // The broker starts on the imported store; fred's mail is waiting with its time and data.
    await using _b = await startBrokerProcess(e);
    const list = await ipcJson(e, ["list"]);
    expect(list.instances.map((i: { name: string }) => i.name).sort()).toEqual(["dino", "fred", "wilma"]);
    // Imported, not seen: nobody is online for having been imported.
    expect(list.instances.filter((i: { online: boolean }) => i.online)).toEqual([]);
    await ipc(e, ["register", "fred"]);
    const fred = await ipcJson(e, ["check", "--as", "fred"]);
    expect(fred.messages).toHaveLength(1);
    expect(fred.messages[0]).toMatchObject({ from: "barney", to: "fred", content: "Lunch at noon?", data: { pr: 7 } });
    expect(fred.messages[0].created_at).toBe(new Date(2025, 0, 28, 10, 20, 30, 123).toISOString());
    await ipc(e, ["register", "dino"]);
    const dino = await ipcJson(e, ["check", "--as", "dino"]);
    expect(dino.messages[0]).toMatchObject({ content: "second", data: { legacy_data: [1, 2] } });

    // Importing into a running broker's store is refused (nothing changes); a dry run still works.
    const refused = await ipc(e, ["import-legacy", legacy, "--all"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("stop it with `ipc stop`");
    expect((await ipcJson(e, ["import-legacy", legacy, "--all", "--dry-run"])).read).toBe(1);
  }, 30_000);

  test("--all brings read messages in as history (into an IPC_HOME that does not exist yet)", async () => {
    const legacy = legacyDatabase();
    const e = ipcEnv();
    e.home = join(e.home, "new");
    e.env.IPC_HOME = e.home;
    expect(await ipcJson(e, ["import-legacy", legacy, "--all"])).toMatchObject({ unread: 3, read: 1 });
    await ipc(e, ["register", "fred"]);
    const history = await ipcJson(e, ["history", "--as", "fred"]);
    expect(history.messages.map((m: { content: string }) => m.content)).toContain("old news");
    // Read at import time, so the 30-day retention of read messages counts from now, not from 2025.
    const store = new Database(join(e.home, "ipc.db"), { readonly: true });
    const row = store.query("SELECT created_at, read_at FROM messages WHERE content = 'old news'").get() as { created_at: number; read_at: number };
    store.close();
    expect(row.created_at).toBe(new Date(2025, 0, 27, 9, 0, 0).getTime());
    expect(Date.now() - row.read_at).toBeLessThan(60_000);
    const unread = await ipcJson(e, ["check", "--as", "fred"]);
    expect(unread.messages.map((m: { content: string }) => m.content)).toEqual(["Lunch at noon?", "x".repeat(3000)]);
    await ipc(e, ["stop"]);
  }, 30_000);

  test("a file that is not a claude-ipc-mcp database, or no file, is a clear error", async () => {
    const e = ipcEnv();
    const text = join(tempHome(), "notes.db");
    writeFileSync(text, "just text");
    const notDb = await ipc(e, ["import-legacy", text]);
    expect(notDb.code).toBe(1);
    expect(notDb.stderr).toContain(text);

    const other = join(tempHome(), "other.db");
    const db = new Database(other, { create: true });
    db.exec("CREATE TABLE messages (id INTEGER PRIMARY KEY, body TEXT)");
    db.close();
    const wrong = await ipc(e, ["import-legacy", other]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("is not a claude-ipc-mcp database (its messages table lacks from_id, to_id, content)");

    const none = await ipc(e, ["import-legacy"], { env: { HOME: tempHome() } });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("give its path: ipc import-legacy PATH");
  });

  test("odd rows are skipped with the reason; a legacy 'system' cannot pose as the broker", async () => {
    const path = join(tempHome(), "loose.db");
    const db = new Database(path, { create: true });
    db.exec("CREATE TABLE messages (id INTEGER PRIMARY KEY, from_id TEXT, to_id TEXT, content TEXT, read_flag INTEGER)");
    db.exec(`INSERT INTO messages VALUES (1, 'system', 'fred', 'you were renamed', 0), (2, 'barney', NULL, 'to nobody', 0),
             (3, 'we ird!', 'fred', 'odd sender', NULL)`);
    db.close();
    const e = ipcEnv();
    const r = await ipcJson(e, ["import-legacy", path]);
    expect(r).toMatchObject({ unread: 2, skipped: [{ legacy_id: 2, reason: "to_id is NULL" }] });
    await ipc(e, ["register", "fred"]);
    const fred = await ipcJson(e, ["check", "--as", "fred"]);
    expect(fred.messages.map((m: { from: string; kind: string }) => [m.from, m.kind])).toEqual([
      ["legacy-system", "direct"],
      ["legacy-we_ird_", "direct"],
    ]);
    await ipc(e, ["stop"]);
  });

  test("no broker starts while an import holds the lock, however long it takes", async () => {
    const e = ipcEnv();
    const lock = join(e.home, "broker.lock");
    // A live import (this test process stands in for it) that began a minute ago.
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: "127.0.0.1", port: 0, socket: null, started_at: "", role: "import" }));
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    const serve = Bun.spawn([...ipcCommand(), "serve"], { env: e.env, stdout: "pipe", stderr: "pipe" });
    expect(await serve.exited).toBe(0);
    expect(await new Response(serve.stderr).text()).toContain(`ipc import-legacy (pid ${process.pid}) is writing this IPC_HOME`);
    const legacy = legacyDatabase();
    const second = await ipc(e, ["import-legacy", legacy]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`another ipc import-legacy (pid ${process.pid})`);
  });
});
