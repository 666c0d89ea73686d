/**
 * Units of issue 23's network bounds and name origins: how source addresses
 * are counted (admission.ts), and migration 9, which gives identities whose
 * sessions all came from one joined machine to that machine.
 */
import { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { join } from "node:path";
import { addressKey } from "../../src/broker/edge/admission.ts";
import { openDatabase } from "../../src/store/database.ts";
import { MIGRATIONS } from "../../src/store/migrations.ts";
import { tempHome } from "../helpers/processes.ts";

test("addressKey: IPv4 as is (also IPv4-mapped), IPv6 by its /64", () => {
  expect(addressKey("192.0.2.7")).toBe("192.0.2.7");
  expect(addressKey("::ffff:192.0.2.7")).toBe("192.0.2.7");
  expect(addressKey("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
  expect(addressKey("2001:0db8:0001:0002:ffff:ffff:ffff:ffff")).toBe("2001:db8:1:2::/64");
  expect(addressKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
  expect(addressKey("::1")).toBe("0:0:0:0::/64");
});

test("migration 9: a name whose sessions all came from one machine is that machine's; mixed or local ones stay local", () => {
  const path = join(tempHome(), "ipc.db");
  {
    const db = new Database(path, { create: true, strict: true });
    for (let v = 0; v < 8; v++) db.exec(MIGRATIONS[v]!);
    db.exec("PRAGMA user_version = 8");
    const now = Date.now();
    const inst = db.prepare("INSERT INTO instances (name, registered_at, last_seen, identity) VALUES (?, ?, ?, ?)");
    const ident = db.prepare("INSERT INTO identities (first_name, created_at) VALUES (?, ?)");
    const sess = db.prepare("INSERT INTO sessions (token_hash, name, created_at, last_used, machine) VALUES (?, ?, ?, ?, ?)");
    for (const [name, machines] of [["barney", ["laptop", "laptop"]], ["alice", [null]], ["mixed", ["laptop", null]], ["two", ["laptop", "box"]], ["nosession", []]] as const) {
      const id = Number(ident.run(name, now).lastInsertRowid);
      inst.run(name, now, now, id);
      machines.forEach((m, i) => sess.run(`${name}${i}`, name, now, now, m));
    }
    db.close();
  }
  const db = openDatabase(path);
  const rows = db.query("SELECT i.name, d.machine FROM instances i JOIN identities d ON d.id = i.identity ORDER BY i.name").all();
  db.close();
  expect(rows).toEqual([
    { name: "alice", machine: null },
    { name: "barney", machine: "laptop" },
    { name: "mixed", machine: null },
    { name: "nosession", machine: null },
    { name: "two", machine: null },
  ]);
});
