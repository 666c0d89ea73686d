/**
 * ipc doctor's Codex check without a Codex to ask (no `codex` on PATH): the
 * trust of the ipc hooks then comes from config.toml's hooks.state, where
 * Codex's hook review records it (`[hooks.state."<hooks.json>:<event>:0:0"]
 * trusted_hash`). The check with the real Codex is in tests/e2e/codex-wake.test.ts.
 */
import { expect, test } from "bun:test";
import { appendFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ipc, ipcEnv } from "../helpers/processes.ts";

test("without codex on PATH: untrusted hooks are a warning with the fix; once trusted in hooks.state, an info line", async () => {
  const home = mkdtempSync(join(tmpdir(), "ipc-doctor-codex-"));
  // PATH without codex: only the folder of the bun running this test, and the system's
  const e = ipcEnv({ HOME: home, PATH: `${dirname(process.execPath)}:/usr/bin:/bin` });
  expect((await ipc(e, ["setup", "codex", "--hooks", "--write"])).code).toBe(0);
  const before = (await ipc(e, ["doctor"])).stdout;
  expect(before).toContain("3 of the ipc hooks in");
  expect(before).toContain("are not trusted (untrusted, from config.toml's hooks.state; no codex command on PATH to ask)");
  expect(before).toContain('answer its "Hooks need review" dialog with "Trust all and continue"');
  expect(before).toContain("no `codex` on PATH, so ipc cannot check that it has `codex queue`");
  // Codex's shared background server (its default) is no longer something to turn off
  expect(before).not.toContain("daemon_auto_start = false");
  const hooks = join(home, ".codex", "hooks.json");
  appendFileSync(
    join(home, ".codex", "config.toml"),
    ["session_start", "user_prompt_submit", "stop"].map((ev) => `\n[hooks.state."${hooks}:${ev}:0:0"]\ntrusted_hash = "sha256:${"0".repeat(64)}"\n`).join(""),
  );
  const after = (await ipc(e, ["doctor"])).stdout;
  expect(after).not.toContain("are not trusted");
  expect(after).toContain("were trusted once (config.toml's hooks.state); whether they changed since only Codex can tell");
});
