/**
 * `ipc doctor` through the real CLI against real brokers: a healthy setup
 * passes (exit 0), and each broken one exits 1 with the right ✖ line.
 */
import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sameRelease } from "../../src/doctor/checks/broker.ts";
import { VERSION } from "../../src/version.ts";
import { compiledBinary } from "../helpers/binary.ts";
import { type IpcEnv, ipc, ipcEnv, startBrokerProcess } from "../helpers/processes.ts";

/** An isolated IPC_HOME, port and HOME. */
function doctorEnv(extra: Record<string, string> = {}): IpcEnv & { homeDir: string } {
  const homeDir = mkdtempSync(join(tmpdir(), "ipc-doctor-home-"));
  return { ...ipcEnv({ HOME: homeDir, CODEX_HOME: "", ...extra }), homeDir };
}

const failures = (out: string) => out.split("\n").filter((l) => l.startsWith("✖"));

describe("ipc doctor", () => {
  test("a healthy setup: every check passes, exit 0", async () => {
    const e = doctorEnv();
    await using _broker = await startBrokerProcess(e);
    expect((await ipc(e, ["register", "fred"])).code).toBe(0);
    expect((await ipc(e, ["setup", "cursor", "--write"])).code).toBe(0);
    expect((await ipc(e, ["setup", "claude-code", "--write", "--hooks"])).code).toBe(0);
    const r = await ipc(e, ["doctor"]);
    expect(failures(r.stdout)).toEqual([]);
    expect(r.code).toBe(0);
    for (const line of ["✔ broker answers on", "✔ database", "passes quick_check", "✔ 1 saved session: fred", "✔ Cursor:", "✔ Claude Code: hooks in", "No problems found."]) {
      expect(r.stdout).toContain(line);
    }
    expect(r.stdout).toMatch(/✔ IPC_HOME .* \(0700\)/);

    const json = JSON.parse((await ipc(e, ["doctor", "--json"])).stdout);
    expect(json.ok).toBe(true);
    expect(json.findings.find((f: any) => f.check === "broker").status).toBe("ok");
  });

  test("no broker yet (right after set-up): ⚠ with the command that starts one, exit 0, and no broker is started", async () => {
    const e = doctorEnv();
    const r = await ipc(e, ["doctor"]);
    expect(r.code).toBe(0);
    expect(failures(r.stdout)).toEqual([]);
    expect(r.stdout).toContain(`⚠ no broker answers on 127.0.0.1:${e.port} yet`);
    expect(r.stdout).toContain("fix: start one now with ipc serve --detach");
    expect((await ipc(e, ["status", "--no-spawn"])).code).toBe(3);
  });

  test("IPC_HOME and its files readable by others", async () => {
    const e = doctorEnv();
    await using _broker = await startBrokerProcess(e);
    expect((await ipc(e, ["register", "fred"])).code).toBe(0);
    chmodSync(e.home, 0o755);
    chmodSync(join(e.home, "sessions", "fred.json"), 0o644);
    const r = await ipc(e, ["doctor"]);
    expect(r.code).toBe(1);
    expect(failures(r.stdout)).toEqual([
      `✖ other users can open ${e.home} (0755)`,
      "✖ 1 file is readable by other users: sessions/fred.json (0644)",
    ]);
    expect(r.stdout).toContain(`fix: chmod 700 ${e.home}`);
    expect(r.stdout).toContain(`fix: chmod 600 ${join(e.home, "sessions", "fred.json")}`);
  });

  test("a broker with a shared secret, and none here (and the reverse)", async () => {
    const e = doctorEnv();
    await using _broker = await startBrokerProcess(e, [], { IPC_SHARED_SECRET: "s3cret" });
    // Without the secret, a client of the broker's own user proves the key instead.
    const r = await ipc(e, ["doctor"]);
    expect(failures(r.stdout)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("✔ the broker also accepts its IPC_SHARED_SECRET (other users, legacy clients); this client proves the key");
    const same = await ipc(e, ["doctor"], { env: { IPC_SHARED_SECRET: "s3cret" } });
    expect(same.code).toBe(0);
    expect(same.stdout).toContain("✔ IPC_SHARED_SECRET is set and the running broker has the same secret");
    const other = await ipc(e, ["doctor"], { env: { IPC_SHARED_SECRET: "not-the-same" } });
    expect(other.code).toBe(1);
    expect(failures(other.stdout)).toEqual(["✖ IPC_SHARED_SECRET here differs from the running broker's secret: ipc refuses that broker while it is set"]);
    expect(other.stdout + other.stderr).not.toContain("not-the-same");

    const open = doctorEnv();
    await using _openBroker = await startBrokerProcess(open);
    const r2 = await ipc(open, ["doctor"], { env: { IPC_SHARED_SECRET: "s3cret" } });
    expect(r2.code).toBe(1);
    expect(failures(r2.stdout)).toEqual(["✖ IPC_SHARED_SECRET is set here, but the running broker was started without one: ipc refuses that broker while it is set"]);
  });

  // Runs ipc from source (not IPC_TEST_BIN): a `-dev` build against the binary compiled from the same source.
  test.skipIf(Boolean(process.env.IPC_TEST_BIN))("a broker from the compiled binary and a CLI run from source are the same release: no mismatch", async () => {
    const e = doctorEnv();
    const binary = await compiledBinary();
    await using _broker = await startBrokerProcess({ ...e, cmd: [binary] });
    const released = (await ipc({ ...e, cmd: [binary] }, ["--version"])).stdout.split(" ")[0]!; // "<version> (<commit>)"
    expect(released).not.toBe(VERSION);
    const r = await ipc(e, ["doctor"]);
    expect(failures(r.stdout)).toEqual([]);
    expect(r.stdout).toContain(`version ${released}`);
    expect(r.code).toBe(0);
  }, 120_000);

  test("sameRelease: only the -dev suffix is ignored", () => {
    expect(sameRelease("0.1.0-dev", "0.1.0")).toBe(true);
    expect(sameRelease("0.1.0", "0.1.0")).toBe(true);
    expect(sameRelease("0.1.0", "0.2.0")).toBe(false);
    expect(sameRelease("0.1.0-dev", "0.1.1-dev")).toBe(false);
    expect(sameRelease("0.1.0-rc1", "0.1.0")).toBe(false);
  });

  test("a host config pointing at a binary that is gone", async () => {
    const e = doctorEnv();
    await using _broker = await startBrokerProcess(e);
    const file = join(e.homeDir, ".cursor", "mcp.json");
    mkdirSync(join(e.homeDir, ".cursor"));
    writeFileSync(file, JSON.stringify({ mcpServers: { ipc: { command: "/gone/bin/ipc", args: ["mcp"] } } }));
    const r = await ipc(e, ["doctor"]);
    expect(r.code).toBe(1);
    expect(failures(r.stdout)).toEqual([`✖ Cursor: ${file} starts /gone/bin/ipc mcp, but /gone/bin/ipc does not exist`]);
    expect(r.stdout).toContain("fix: ipc setup cursor --write");

    const json = JSON.parse((await ipc(e, ["doctor", "--json"])).stdout);
    expect(json.ok).toBe(false);
    expect(json.findings.filter((f: any) => f.status === "fail").map((f: any) => f.check)).toEqual(["host:cursor"]);
  });

  test("the port taken by something that is not an ipc broker", async () => {
    const e = doctorEnv();
    using _other = Bun.listen({
      hostname: "127.0.0.1",
      port: e.port,
      socket: { data: (s) => void (s.write("HTTP/1.1 400 Bad Request\r\n\r\n"), s.end()) },
    });
    const r = await ipc(e, ["doctor"]);
    expect(r.code).toBe(1);
    const [line] = failures(r.stdout);
    expect(line).toStartWith(`✖ refusing the broker at 127.0.0.1:${e.port}, held by `);
    expect(line).toContain("is not an ipc broker");
    if (process.platform === "linux") expect(line).toContain(`pid ${process.pid} (`);
    expect(r.stdout).toContain("export IPC_PORT=<free port>");
  });

  test("a malformed host config is a failure naming the file and line", async () => {
    const e = doctorEnv();
    await using _broker = await startBrokerProcess(e);
    writeFileSync(join(e.homeDir, ".claude.json"), "{\n  \"mcpServers\": {\n");
    const r = await ipc(e, ["doctor"]);
    expect(r.code).toBe(1);
    expect(failures(r.stdout)[0]).toStartWith(`✖ Claude Code: ${join(e.homeDir, ".claude.json")}:3:`);
  });

  test("a claude-ipc-mcp database with unread mail: ⚠ until it is imported, then ✔", async () => {
    const e = doctorEnv();
    mkdirSync(join(e.homeDir, ".claude-ipc-data"));
    const legacy = new Database(join(e.homeDir, ".claude-ipc-data", "messages.db"), { create: true });
    legacy.exec("CREATE TABLE messages (id INTEGER PRIMARY KEY, from_id TEXT, to_id TEXT, content TEXT, timestamp TEXT, read_flag INTEGER DEFAULT 0)");
    legacy.exec("INSERT INTO messages (from_id, to_id, content, timestamp) VALUES ('barney', 'fred', 'still waiting', '2025-01-28T10:00:00')");
    legacy.close();
    const before = await ipc(e, ["doctor"]);
    expect(before.stdout).toContain(`⚠ claude-ipc-mcp database ${join(e.homeDir, ".claude-ipc-data", "messages.db")} holds 1 unread message not yet in ipc`);
    expect(before.stdout).toContain("fix: ipc stop; ipc import-legacy");
    expect((await ipc(e, ["import-legacy"])).code).toBe(0);
    expect((await ipc(e, ["doctor"])).stdout).toContain("no unread mail left to import");
  });
});
