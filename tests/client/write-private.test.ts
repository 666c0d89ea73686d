/** writePrivate never writes through a link planted at its temporary name (issue 10 hole 10e, client side). */
import { expect, test } from "bun:test";
import { chmodSync, lstatSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writePrivate } from "../../src/client/session-store.ts";
import { tempHome } from "../helpers/processes.ts";

test("a symlink at <file>.<pid>.tmp is replaced, its target left as it was", () => {
  const dir = tempHome();
  const target = join(tempHome("ipc-victim-"), "bashrc");
  writeFileSync(target, "original\n");
  chmodSync(target, 0o644);
  const path = join(dir, "fred.json");
  symlinkSync(target, `${path}.${process.pid}.tmp`);
  writePrivate(path, '{"token":"t"}');
  expect(readFileSync(target, "utf8")).toBe("original\n");
  expect(lstatSync(target).mode & 0o777).toBe(0o644);
  expect(readFileSync(path, "utf8")).toBe('{"token":"t"}');
  expect(lstatSync(path).isFile()).toBe(true);
  expect(lstatSync(path).mode & 0o777).toBe(0o600);
});
