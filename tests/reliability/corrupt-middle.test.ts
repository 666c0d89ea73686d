/**
 * A real database with random bytes written into its middle (issue 10 hole
 * 10c): the broker, its clients and `ipc doctor` name the file and the fix
 * (no raw SQLiteError stack), and the file is left as it is.
 */
import { describe, expect, test } from "bun:test";
import { closeSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { type IpcEnv, ipc, ipcEnv, startBrokerProcess } from "../helpers/processes.ts";

/** A stopped broker's database holding two names and `n` messages of ~8 KB. */
async function filledDatabase(e: IpcEnv, n: number): Promise<string> {
  {
    await using _b = await startBrokerProcess(e);
    expect((await ipc(e, ["register", "fred"])).code).toBe(0);
    expect((await ipc(e, ["register", "barney"])).code).toBe(0);
    const body = "x".repeat(8000);
    for (let i = 0; i < n; i++) expect((await ipc(e, ["send", "fred", `${i} ${body}`, "--as", "barney"])).code).toBe(0);
  }
  return join(e.home, "ipc.db");
}

/** Overwrites bytes [from, to) of `path` with pseudo-random bytes (a fixed seed: the same damage every run). */
function scribble(path: string, from: number, to: number): void {
  const bytes = new Uint8Array(to - from);
  let x = 0x9e3779b9;
  for (let i = 0; i < bytes.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  const fd = openSync(path, "r+");
  writeSync(fd, bytes, 0, bytes.length, from);
  closeSync(fd);
}

const STACK = /SQLiteError|\n\s+at /;

describe("random bytes in the middle of ipc.db", () => {
  test("damaged tables read at start: `ipc serve` names the file and the fix; doctor runs quick_check", async () => {
    const e = ipcEnv();
    const db = await filledDatabase(e, 10);
    const size = statSync(db).size;
    scribble(db, 1024, size); // every page but the first (the header and the schema)
    const before = readFileSync(db);
    const r = await ipc(e, ["serve"]);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stderr).toContain(`database ${db} is corrupt or not an ipc database`);
    expect(r.stderr).toContain(`move the file aside (mv "${db}" "${db}.broken")`);
    expect(readFileSync(db).equals(before)).toBe(true);

    const doctor = await ipc(e, ["doctor", "--no-spawn"]);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain(`✖ ${db} is damaged (PRAGMA quick_check`);
    expect(doctor.stdout).toMatch(/fix: stop the broker \(ipc stop\), move the file aside/);
    expect(doctor.stdout).not.toContain("***");
  }, 30_000);

  test("damaged message pages found while serving: the client gets the file and the fix, not 'see broker.log'", async () => {
    const e = ipcEnv();
    const db = await filledDatabase(e, 20);
    const size = statSync(db).size;
    scribble(db, Math.floor(size / 2 / 1024) * 1024, size); // the later pages: messages, not the two names
    await using b = await startBrokerProcess(e);
    const r = await ipc(e, ["check", "--as", "fred"]);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stderr).toContain(`database ${db} is corrupt or not an ipc database`);
    expect(r.stderr).toContain("ipc doctor");
    expect(r.stderr).toContain("move the file aside");
    await b.stop();
    const log = await b.stderr(); // a foreground broker logs to stderr
    expect(log).toContain(`database ${db} is corrupt`);
    expect(log).not.toMatch(STACK);
  }, 30_000);
});
