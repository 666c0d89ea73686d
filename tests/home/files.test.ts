/** IPC_HOME's files: private writes, the mcp-parents record read by both its users, modes tightened everywhere at start. */
import { expect, test } from "bun:test";
import { chmodSync, mkdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { enforcePrivateModes } from "../../src/broker/edge/permissions.ts";
import { paths } from "../../src/config.ts";
import { writePrivate } from "../../src/home/files.ts";
import { loadParentSession, parentSessionPath } from "../../src/home/mcp-parents.ts";
import { tempHome } from "../helpers/processes.ts";

const mode = (p: string) => statSync(p).mode & 0o777;

test("writePrivate creates its folder 0700 and the file 0600, replacing atomically", () => {
  const config = { home: tempHome() };
  const path = join(paths.autoCheck(config), "fred.json");
  writePrivate(path, "one");
  writePrivate(path, "two");
  expect(mode(paths.autoCheck(config))).toBe(0o700);
  expect(mode(path)).toBe(0o600);
  expect(Bun.file(path).text()).resolves.toBe("two");
});

test("the mcp-parents record: what ipc mcp writes is what a hook reads; other shapes are null", () => {
  const config = { home: tempHome() };
  writePrivate(parentSessionPath(config, 4242), JSON.stringify({ name: "claude", token: "t0k", as: null }));
  expect(loadParentSession(config, 4242)).toMatchObject({ name: "claude", token: "t0k" });
  writePrivate(parentSessionPath(config, 4243), JSON.stringify({ name: "claude" }));
  expect(loadParentSession(config, 4243)).toBeNull();
  expect(loadParentSession(config, 4244)).toBeNull();
});

test.skipIf(process.platform === "win32")("enforcePrivateModes tightens every folder of IPC_HOME and the files in it, mcp-parents/ and auto-check/ included", () => {
  const config = { home: tempHome() };
  mkdirSync(config.home, { recursive: true });
  const token = parentSessionPath(config, 4242);
  const state = join(paths.autoCheck(config), "fred.json");
  for (const f of [token, state, join(paths.sessions(config), "fred.json")]) {
    mkdirSync(join(f, ".."), { recursive: true, mode: 0o755 });
    chmodSync(join(f, ".."), 0o755);
    writeFileSync(f, "{}", { mode: 0o644 });
    chmodSync(f, 0o644);
  }
  const outside = join(tempHome(), "not-ours.txt");
  mkdirSync(join(outside, ".."), { recursive: true });
  writeFileSync(outside, "x", { mode: 0o644 });
  chmodSync(outside, 0o644);
  symlinkSync(outside, join(paths.mcpParents(config), "link.json"));

  const fixes = enforcePrivateModes(config).map((f) => f.path);
  expect(fixes).toEqual(expect.arrayContaining([token, state, paths.mcpParents(config), paths.autoCheck(config)]));
  for (const f of [token, state, join(paths.sessions(config), "fred.json")]) expect(mode(f)).toBe(0o600);
  for (const d of [paths.mcpParents(config), paths.autoCheck(config), paths.sessions(config)]) expect(mode(d)).toBe(0o700);
  expect(mode(outside)).toBe(0o644); // a symlink's target is not IPC_HOME's to change
  expect(enforcePrivateModes(config)).toEqual([]);
});
