/**
 * Issue 22, hole 2: `ipc ui --open` put the one-time code on xdg-open's
 * command line, which every local user can read in /proc/PID/cmdline. Done as
 * the attacker did it: while the opener runs, a second OS user reads its
 * command line; the code must not be there (nor in its environment), and the
 * file the opener gets must be unreadable to that user — yet opening it in
 * Chromium logs the owner in.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type BrokerProcess, type IpcEnv, ipc, ipcCommand } from "../helpers/processes.ts";
import { multiUserSkip, otherUser } from "../helpers/users.ts";
import { CHROMIUM, CHROMIUM_FLAGS, chromiumSkip, codeOf, dashboardBroker, waitUntil } from "./_ui.ts";

let e: IpcEnv;
let broker: BrokerProcess;
let origin: string;

beforeAll(async () => {
  ({ e, broker, origin } = await dashboardBroker());
});

afterAll(async () => {
  await broker?.stop();
});

/**
 * A stand-in for xdg-open, first on PATH: it records its pid and arguments,
 * then waits (at most 20 s) until the test lets it go, so the test can look
 * at it while it runs.
 */
function fakeOpener(): { dir: string; record: string; go: string } {
  const dir = mkdtempSync(join(tmpdir(), "ipc-opener-"));
  chmodSync(dir, 0o755);
  const record = join(dir, "record");
  const go = join(dir, "go");
  writeFileSync(
    join(dir, "xdg-open"),
    `#!/bin/sh\nprintf '%s\\n' "$$" "$@" > "${record}.tmp" && mv "${record}.tmp" "${record}"\n` +
      `i=0; while [ ! -e "${go}" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done\n`,
  );
  chmodSync(join(dir, "xdg-open"), 0o755);
  return { dir, record, go };
}

describe.skipIf(multiUserSkip !== null)("ipc ui --open", () => {
  test("another user reading /proc while the browser opens finds no login code, and cannot read the file it was given", async () => {
    await using mallory = await otherUser();
    const opener = fakeOpener();
    const cli = Bun.spawn([...(e.cmd ?? ipcCommand()), "ui", "--open", "--json"], {
      env: { ...e.env, PATH: `${opener.dir}:${process.env.PATH}` },
      stdout: "pipe",
      stderr: "pipe",
    });
    await waitUntil(() => existsSync(opener.record), 20_000, "the opener to start");
    const [pid, ...argv] = readFileSync(opener.record, "utf8").trimEnd().split("\n");
    // What the attacker sees: the opener's command line (readable by every user), as mallory.
    const peek = Bun.spawnSync([...mallory.as({ PATH: "/usr/bin:/bin" }), "cat", `/proc/${pid}/cmdline`]);
    const cmdline = peek.stdout.toString();
    expect(cmdline).toContain("xdg-open"); // the attacker can read it…
    // …and the opener's environment (only root or the owner can read that one).
    const environ = readFileSync(`/proc/${pid}/environ`, "utf8");
    writeFileSync(opener.go, "");
    const out = await new Response(cli.stdout).text();
    expect(await cli.exited).toBe(0);
    const r = JSON.parse(out) as { url: string; opened: boolean };
    expect(r.opened).toBe(true);
    const code = codeOf(r.url);
    expect(code.length).toBeGreaterThan(20);
    expect(cmdline).not.toContain(code);
    expect(argv.join(" ")).not.toContain(code);
    expect(environ).not.toContain(code);

    // The opener got a private file: 0600, and mallory cannot read it.
    const file = argv[0]!;
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stolen = Bun.spawnSync([...mallory.as({ PATH: "/usr/bin:/bin" }), "cat", file]);
    expect(stolen.exitCode).not.toBe(0);
    expect(stolen.stdout.toString()).not.toContain(code);

    // The owner's browser, opening that file, lands on the dashboard logged in.
    if (chromiumSkip !== null) return;
    expect((await ipc(e, ["register", "fred"], { env: { IPC_NAME: "fred" } })).code).toBe(0);
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
    try {
      const page = await browser.newPage();
      await page.goto(pathToFileURL(file).href);
      await page.waitForURL((u) => u.href.startsWith(origin), { timeout: 10_000 });
      await page.locator("#agents").getByText("fred").waitFor();
      expect(page.url()).not.toContain("login=");
    } finally {
      await browser.close();
    }
  }, 60_000);
});
