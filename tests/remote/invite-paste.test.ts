/**
 * The line `ipc invite` prints is pasted into a shell on the other machine:
 * it must reach `ipc join` whole in bash, zsh (also with extended_glob, where
 * `#` is a glob operator) and fish. A link whose code the shell cut off at
 * `&` gets an error that says exactly that. Real broker with a TLS listener
 * on 127.0.0.2, real CLI run through each installed shell.
 */
import { afterAll, beforeAll, expect, test, setDefaultTimeout } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../helpers/ports.ts";
import { type BrokerProcess, type IpcEnv, ipc, ipcCommand, ipcEnv, ipcJson, startBrokerProcess } from "../helpers/processes.ts";

// Real broker processes on a shared 2-core machine: bun's 5 s default is too short under load (bunfig's timeout is not applied here).
setDefaultTimeout(60_000);

/** A free TCP port on 127.0.0.2. */
function freePortOn2(): number {
  const l = Bun.listen({ hostname: "127.0.0.2", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

/** `text` in single quotes for sh. */
const sq = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

let server: IpcEnv;
let broker: BrokerProcess;
let tlsPort: number;
/** A folder holding an `ipc` command (this checkout's), put first on PATH for the shells. */
let bin: string;

beforeAll(async () => {
  tlsPort = freePortOn2();
  server = ipcEnv();
  broker = await startBrokerProcess(server, ["--listen", `127.0.0.2:${tlsPort}`]);
  bin = mkdtempSync(join(tmpdir(), "ipc-bin-"));
  writeFileSync(join(bin, "ipc"), `#!/bin/sh\nexec ${ipcCommand().map(sq).join(" ")} "$@"\n`);
  chmodSync(join(bin, "ipc"), 0o755);
});

afterAll(async () => {
  await broker?.stop();
});

/** Runs `line` with `shell` (argv before the line) as a machine of its own; returns its output once every job ended. */
async function paste(shell: string[], line: string, laptop: IpcEnv) {
  const proc = Bun.spawn([...shell, line], {
    env: { ...laptop.env, PATH: `${bin}:${process.env.PATH}` },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  // Pipes close only when a job the shell put in the background has ended too.
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { stdout, stderr, code };
}

const SHELLS: Array<{ name: string; argv: string[] }> = [
  { name: "bash", argv: ["bash", "-c"] },
  { name: "zsh", argv: ["zsh", "-c"] },
  { name: "zsh with extended_glob", argv: ["zsh", "-o", "extended_glob", "-c"] },
  { name: "fish", argv: ["fish", "-c"] },
];

for (const shell of SHELLS) {
  const installed = Bun.which(shell.argv[0]!) !== null;
  if (!installed) console.warn(`skipping the ${shell.name} paste test: ${shell.argv[0]} is not installed (apt-get install ${shell.argv[0]})`);
  test.skipIf(!installed)(`the line ipc invite prints, pasted into ${shell.name}, joins`, async () => {
    const laptop = ipcEnv({ IPC_PORT: String(freePort()) });
    const printed = await ipc(server, ["invite"]);
    expect(printed.code).toBe(0);
    const line = printed.stdout.trim();
    expect(line).toStartWith("ipc join ");
    expect(line.split("\n")).toHaveLength(1);
    const r = await paste(shell.argv, line, laptop);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("Joined 127.0.0.2");
    expect(r.code).toBe(0);
    expect(existsSync(join(laptop.home, "remote.json"))).toBe(true);
  });
}

test("a link whose code the shell cut off at & gets an error that says so and how to paste it", async () => {
  const { link } = await ipcJson<{ link: string }>(server, ["invite"]);
  const laptop = ipcEnv({ IPC_PORT: String(freePort()) });
  // The link pasted without quotes, as README readers did: bash runs `ipc join …#fp=…` in the background.
  const r = await paste(["bash", "-c"], `ipc join ${link}; wait`, laptop);
  expect(r.stderr).toContain("cut off");
  expect(r.stderr).toContain("&");
  expect(r.stderr).toContain("quote");
  expect(existsSync(join(laptop.home, "remote.json"))).toBe(false);
  // The same, given directly: a usage error (exit 2).
  const cut = link.slice(0, link.indexOf("&"));
  const direct = await ipc(laptop, ["join", cut]);
  expect(direct.code).toBe(2);
  expect(direct.stderr).toContain("cut off");
});
