/** The bench's --baseline plumbing: resolving PATH|REF, and telling builds with and without the key handshake apart. */
import { describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { speaksHello } from "../../bench/lib/auth.ts";
import { baselineBuild } from "../../bench/lib/baseline.ts";
import { startBroker, startEcho, tempHome } from "../../bench/lib/procs.ts";

describe("baselineBuild", () => {
  test("a file is used as it is", async () => {
    const bin = join(mkdtempSync(join(tmpdir(), "ipc-baseline-test-")), "ipc-old");
    writeFileSync(bin, "#!/bin/sh\n");
    chmodSync(bin, 0o755);
    expect(await baselineBuild(bin, () => {})).toEqual({ cmd: [bin], label: bin });
  });

  test("neither a file nor a ref: an error that says what to give", async () => {
    await expect(baselineBuild("no-such-ref-or-file-0b1f", () => {})).rejects.toThrow(/neither a file nor a git ref.*give a binary's path, a commit, a tag or a branch/);
  });
});

describe("speaksHello", () => {
  test("today's broker answers hello with a nonce", async () => {
    const b = await startBroker(tempHome());
    try {
      expect(await speaksHello(b.port)).toBe(true);
    } finally {
      await b.stop();
    }
  }, 30_000);

  test("a server without the handshake (the echo server) does not", async () => {
    const e = await startEcho();
    try {
      expect(await speaksHello(e.port)).toBe(false);
    } finally {
      await e.stop();
    }
  });
});
