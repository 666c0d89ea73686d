/** The CLI's rough edges a new user meets in the first hour (issue 27): typos, usage errors, help layout. */
import { expect, test } from "bun:test";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ipc, ipcEnv, startBrokerProcess } from "../helpers/processes.ts";

test("a mistyped root option is an unknown option with a hint, not the whole help and 'No command specified'", async () => {
  const e = ipcEnv();
  const r = await ipc(e, ["--helpp"]);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr).toBe("ipc: unknown option --helpp for ipc; did you mean --help? (see ipc --help) (BAD_REQUEST)\n");
  expect(r.stderr).not.toContain("No command specified");
});

test("`ipc version` prints the version, as --version does", async () => {
  const e = ipcEnv();
  const flag = await ipc(e, ["--version"]);
  const word = await ipc(e, ["version"]);
  expect(word.stderr).toBe("");
  expect(word.code).toBe(0);
  expect(word.stdout).toBe(flag.stdout);
});

test("`--json` with --version or version prints {version, commit} on stdout, before or after the word", async () => {
  const e = ipcEnv();
  const plain = (await ipc(e, ["--version"])).stdout.trim();
  for (const args of [["--json", "--version"], ["--version", "--json"], ["--json", "version"], ["version", "--json"]]) {
    const r = await ipc(e, args);
    expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: "" });
    const v = JSON.parse(r.stdout) as { version: string; commit: string };
    expect(`${v.version} (${v.commit})`).toBe(plain);
  }
});

test("option help is in aligned columns: names left-aligned, descriptions in one column, no trailing blanks", async () => {
  const e = ipcEnv();
  for (const args of [["send", "--help"], ["--help"], ["check", "--help"]]) {
    const r = await ipc(e, args);
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    for (const line of lines) expect(line).not.toMatch(/\s$/);
    // Each block of two-column lines: every line starts its first column at 2 and its second at one column.
    const blocks = r.stdout.split(/\n\n/).filter((b) => /^ {2}\S/.test(b) && b.split("\n").length > 1);
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) {
      const starts = new Set(block.split("\n").map((l) => /^ {2}\S+(?: \S+)*? {2,}(?=\S)/.exec(l)?.[0].length ?? -1));
      expect([...starts].filter((s) => s > 0)).toHaveLength(1);
      for (const l of block.split("\n")) expect(l).toMatch(/^ {2}\S/);
    }
  }
});

test("register with an invalid name is a usage error (exit 2) and starts no broker", async () => {
  const e = ipcEnv();
  const r = await ipc(e, ["register", "bad name!"]);
  expect(r.stderr).toContain("a name is 1–32 characters of letters, digits, '-' and '_'");
  expect(r.code).toBe(2);
  expect(existsSync(join(e.home, "broker.lock"))).toBe(false);
});

test("check with no name to act as fails at once, without starting a broker", async () => {
  const e = ipcEnv();
  const r = await ipc(e, ["check"]);
  expect(r.stderr).toContain("no name to act as");
  expect(r.code).toBe(1);
  expect(existsSync(join(e.home, "broker.lock"))).toBe(false);
  expect(existsSync(join(e.home, "ipc.db"))).toBe(false);
});

test("channel list and members work in a new shell with several saved names: one is picked and named", async () => {
  const e = ipcEnv();
  await using _b = await startBrokerProcess(e);
  for (const name of ["fred", "barney"]) expect((await ipc(e, ["register", name])).code).toBe(0);
  expect((await ipc(e, ["channel", "join", "#api", "--as", "fred"])).code).toBe(0);
  // A new shell: no "last registered here" record, two saved names.
  for (const f of readdirSync(join(e.home, "sessions"))) if (f.startsWith(".last-")) rmSync(join(e.home, "sessions", f));
  const list = await ipc(e, ["channel", "list"]);
  expect(list.code).toBe(0);
  expect(list.stdout).toContain("#api");
  expect(list.stderr).toContain("as barney, one of the 2 names saved here");
  const members = await ipc(e, ["channel", "members", "#api"]);
  expect(members.code).toBe(0);
  expect(members.stdout).toContain("fred");
  // Joining still needs the name said: it changes who is in the channel.
  const join_ = await ipc(e, ["channel", "join", "#api"]);
  expect(join_.code).toBe(2);
  expect(join_.stderr).toContain("which name should this act as?");
});
