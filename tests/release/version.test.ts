/**
 * `ipc --version` from source: package.json's version marked "-dev", and
 * "dev" for the commit (build.ts injects both into compiled binaries, and
 * build/npm-packages.ts stamps the npm package: tests/release/install.test.ts,
 * tests/e2e/npm-package.test.ts).
 */
import { expect, test } from "bun:test";
import pkg from "../../package.json" with { type: "json" };
import { ipc, ipcEnv } from "../helpers/processes.ts";

test.skipIf(Boolean(process.env.IPC_TEST_BIN))("ipc --version from source says <version>-dev (dev)", async () => {
  for (const flag of ["--version", "-v"]) {
    const r = await ipc(ipcEnv(), [flag]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${pkg.version}-dev (dev)\n`);
  }
});
