/** share-file and share-command through the real CLI and a real broker. */
import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type IpcEnv, ipc, ipcEnv, ipcJson, startBrokerProcess, tempHome } from "../helpers/processes.ts";

/** Registers barney (sender) and fred (recipient). */
async function pair(e: IpcEnv): Promise<void> {
  expect((await ipc(e, ["register", "fred"])).code).toBe(0);
  expect((await ipc(e, ["register", "barney"])).code).toBe(0);
}

/** `ipc share-command … -- CMD…` with --json placed before the `--`. */
async function shareJson(e: IpcEnv, args: string[], env: Record<string, string> = {}): Promise<any> {
  const dash = args.indexOf("--");
  const r = await ipc(e, [...args.slice(0, dash), "--json", ...args.slice(dash)], { env });
  if (r.code !== 0) throw new Error(`ipc ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const inbox = async (e: IpcEnv) => (await ipcJson(e, ["check", "--as", "fred"])).messages as any[];

describe("ipc share-file", () => {
  test("content, path and description arrive at the recipient", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await pair(e);
    const dir = tempHome("ipc-share-");
    const text = "line one\nünïcödé ✓\n";
    writeFileSync(join(dir, "notes.md"), text);
    const sent = await ipcJson(e, ["share-file", "fred", join(dir, "notes.md"), "--description", "my notes", "--as", "barney"]);
    expect(sent).toMatchObject({ to: "fred", status: "queued" });
    const [m, ...rest] = await inbox(e);
    expect(rest).toEqual([]);
    expect(m).toMatchObject({
      from: "barney",
      content: `Shared file: ${join(dir, "notes.md")}`,
      data: { type: "file", filepath: join(dir, "notes.md"), content: text, description: "my notes" },
    });
  });

  test("a relative path is sent as an absolute one", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await pair(e);
    const dir = tempHome("ipc-share-");
    writeFileSync(join(dir, "a.txt"), "hello");
    const { ipcCommand } = await import("../helpers/processes.ts");
    const proc = Bun.spawn([...ipcCommand(), "share-file", "fred", "a.txt", "--as", "barney"], { cwd: dir, env: e.env, stdout: "pipe", stderr: "pipe" });
    expect(await proc.exited).toBe(0);
    const [m] = await inbox(e);
    expect(m.data).toMatchObject({ filepath: join(dir, "a.txt"), content: "hello", description: null });
  });

  test("missing file, directory, fifo, binary and too-large files are clear errors and send nothing", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await pair(e);
    const dir = tempHome("ipc-share-");
    mkdirSync(join(dir, "sub"));
    writeFileSync(join(dir, "nul.bin"), new Uint8Array([104, 105, 0, 1, 2]));
    writeFileSync(join(dir, "latin1.txt"), new Uint8Array([99, 97, 102, 0xe9, 10])); // "café" in Latin-1: not UTF-8
    writeFileSync(join(dir, "big.txt"), "x".repeat(5000));
    expect(Bun.spawnSync(["mkfifo", join(dir, "fifo")]).exitCode).toBe(0);
    const cases: Array<[string, RegExp]> = [
      [join(dir, "missing.txt"), /no such file: .*missing\.txt/],
      [join(dir, "sub"), /is a directory/],
      [join(dir, "fifo"), /named pipe/],
      [join(dir, "nul.bin"), /looks binary/],
      [join(dir, "latin1.txt"), /looks binary/],
      [join(dir, "big.txt"), /5000 bytes; the limit is 4096 bytes \(IPC_MAX_CONTENT_BYTES\)/],
    ];
    for (const [path, why] of cases) {
      const r = await ipc(e, ["share-file", "fred", path, "--as", "barney"], { env: { IPC_MAX_CONTENT_BYTES: "4096" } });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(why);
      expect(r.stdout).toBe("");
    }
    expect(await inbox(e)).toEqual([]);
  });

  test("an invalid recipient is refused before the file is read", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await pair(e);
    const r = await ipc(e, ["share-file", "not a name", "/nonexistent", "--as", "barney"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("INVALID_NAME");
  });
});

describe("ipc share-command", () => {
  test("runs without a shell: ; $(…) | stay literal; exit code captured", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await pair(e);
    const r = await shareJson(e, ["share-command", "fred", "--as", "barney", "--description", "literal", "--", "echo", "a;b", "$(whoami)", "|", "cat", "`id`"]);
    expect(r).toMatchObject({ to: "fred", returncode: 0, timed_out: false });
    const fail = await shareJson(e, ["share-command", "fred", "--as", "barney", "--", "sh", "-c", "echo oops >&2; exit 3"]);
    expect(fail).toMatchObject({ returncode: 3, timed_out: false });
    const [echo, sh] = await inbox(e);
    expect(echo.content).toBe("Shared command output: echo 'a;b' '$(whoami)' '|' cat '`id`' (exit 0)");
    expect(echo.data).toMatchObject({
      type: "command",
      command: "echo 'a;b' '$(whoami)' '|' cat '`id`'",
      argv: ["echo", "a;b", "$(whoami)", "|", "cat", "`id`"],
      stdout: "a;b $(whoami) | cat `id`\n",
      stderr: "",
      returncode: 0,
      description: "literal",
    });
    expect(sh.data).toMatchObject({ stdout: "", stderr: "oops\n", returncode: 3 });
  });

  test("flags after -- (even -h and --help) belong to the command, and TO may follow --", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await pair(e);
    await shareJson(e, ["share-command", "--as", "barney", "--", "fred", "echo", "--json", "--as", "x", "-h", "--help"]);
    const [m] = await inbox(e);
    expect(m.data.stdout).toBe("--json --as x -h --help\n");
  });

  test("a command that outlives --timeout is killed and reported as timed out", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await pair(e);
    const t0 = performance.now();
    const r = await shareJson(e, ["share-command", "fred", "--as", "barney", "--timeout", "1", "--", "sleep", "20"]);
    expect(performance.now() - t0).toBeLessThan(8_000);
    expect(r).toMatchObject({ timed_out: true, returncode: null });
    // Output written before the kill is kept.
    const script = "console.log('started'); setTimeout(() => {}, 20000)";
    await shareJson(e, ["share-command", "fred", "--as", "barney", "--timeout", "1.5", "--", process.execPath, "-e", script]);
    const [m, partial] = await inbox(e);
    expect(m.content).toBe("Shared command output: sleep 20 (timed out after 1 s)");
    expect(m.data).toMatchObject({ timed_out: true, returncode: null });
    expect(partial.data).toMatchObject({ timed_out: true, stdout: "started\n" });
  });

  test("output over the content limit is cut, with a note, and the message still goes", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e, [], { IPC_MAX_CONTENT_BYTES: "8192" });
    await pair(e);
    const script = "process.stdout.write('é'.repeat(20000)); process.stderr.write('e'.repeat(10))";
    await shareJson(e, ["share-command", "fred", "--as", "barney", "--", process.execPath, "-e", script], { IPC_MAX_CONTENT_BYTES: "8192" });
    const [m] = await inbox(e);
    expect(m.data.truncated).toBe(true);
    expect(m.data.stdout).toMatch(/^(é)+\n… \[truncated: \d+ more bytes not shown\]$/);
    expect(Buffer.byteLength(m.data.stdout)).toBeLessThan(4096);
    expect(m.data.stderr).toBe("eeeeeeeeee");
  });

  test("command not found, empty command and a missing -- are clear errors and send nothing", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    await pair(e);
    const missing = await ipc(e, ["share-command", "fred", "--as", "barney", "--", "no-such-command-xyz", "arg"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("command not found: no-such-command-xyz");
    const empty = await ipc(e, ["share-command", "fred", "--as", "barney", "--"]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain("no command given");
    const noDash = await ipc(e, ["share-command", "fred", "--as", "barney", "echo", "hi"]);
    expect(noDash.code).toBe(2);
    expect(noDash.stderr).toContain("put the command after --");
    expect(await inbox(e)).toEqual([]);
  });

  test("nothing runs when the message could not be sent (not registered)", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    const marker = join(tempHome("ipc-marker-"), "ran");
    const r = await ipc(e, ["share-command", "fred", "--as", "ghost", "--", "touch", marker]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("ipc register ghost");
    expect(await Bun.file(marker).exists()).toBe(false);
  });
});
