/**
 * Issue 10, hole 1: a client authenticates the broker before it sends a name,
 * a token or a message. Impostors on the port — a program of this user
 * without the key, a program of another user, a relay to the real broker,
 * the broker of another IPC_HOME — get nothing but `hello`, and the client
 * says who holds the port and what to do; `ipc status` / `ipc doctor` show no ✔.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startImpostor } from "../helpers/impostor.ts";
import { type IpcEnv, ipc, ipcEnv, startBrokerProcess } from "../helpers/processes.ts";
import { multiUserSkip, otherUser, restoreRepoModes } from "../helpers/users.ts";

afterAll(restoreRepoModes);

/** fred registered with the real broker of `e` (now stopped): his token is saved in IPC_HOME. */
async function fredRegistered(e: IpcEnv): Promise<string> {
  const broker = await startBrokerProcess(e);
  expect((await ipc(e, ["register", "fred"])).code).toBe(0);
  await broker.stop();
  return JSON.parse(readFileSync(join(e.home, "sessions", "fred.json"), "utf8")).token;
}

/** The CLI run against whatever holds e's port: send (with fred's saved session), register, status, doctor. */
async function tryEverything(e: IpcEnv, env: Record<string, string> = {}) {
  return {
    send: await ipc(e, ["send", "barney", "the launch code is 1234", "--as", "fred"], { env }),
    register: await ipc(e, ["register", "wilma"], { env }),
    status: await ipc(e, ["status"], { env }),
    doctor: await ipc(e, ["doctor"], { env }),
  };
}

/** Nothing but hello frames reached the impostor: no name, no token, no message. */
function onlyHellos(received: string[], token: string): void {
  for (const line of received) expect(JSON.parse(line).op).toBe("hello");
  const all = received.join("\n");
  for (const secret of [token, "fred", "wilma", "launch code"]) expect(all).not.toContain(secret);
}

describe("a client authenticates the broker before giving it anything", () => {
  test("an impostor of this user without the key gets only hello; the error names its pid and IPC_PORT", async () => {
    const e = ipcEnv();
    const token = await fredRegistered(e);
    await using impostor = await startImpostor(e.port);
    const r = await tryEverything(e);
    const received = await impostor.stop();
    onlyHellos(received, token);
    expect(received.length).toBeGreaterThan(0);
    expect(r.send.code).toBe(3);
    expect(r.send.stderr).toContain(`refusing the broker at 127.0.0.1:${e.port}, held by pid ${impostor.pid} (`);
    expect(r.send.stderr).toContain("it did not prove this IPC_HOME's key");
    expect(r.send.stderr).toContain("export IPC_PORT=");
    expect(r.register.code).toBe(3);
    expect(r.status.code).toBe(3);
    expect(r.status.stdout).not.toContain("●");
    expect(r.doctor.code).toBe(1);
    expect(r.doctor.stdout).not.toContain("✔ broker answers");
    expect(r.doctor.stdout).toContain(`✖ refusing the broker at 127.0.0.1:${e.port}`);
  }, 30_000);

  test("ipc mcp and the Claude Code hook refuse it too: the MCP tool errors, the hook stays quiet", async () => {
    const e = ipcEnv();
    const token = await fredRegistered(e);
    await using impostor = await startImpostor(e.port);
    const { startMcp } = await import("../mcp/_mcp.ts");
    await using mcp = await startMcp(e, { name: "fred" });
    const sent = await mcp.call("send", { to: "barney", content: "the launch code is 1234" });
    expect(sent.isError).toBe(true);
    expect(sent.text).toContain("refusing the broker");
    const hook = await ipc(e, ["hook", "claude-code", "--always", "--as", "fred"], { stdin: "{}" });
    expect(hook.code).toBe(0);
    expect(hook.stdout).toBe("");
    onlyHellos(await impostor.stop(), token);
  }, 30_000);

  test("a client with IPC_SHARED_SECRET refuses a broker that does not prove the secret", async () => {
    const e = ipcEnv();
    const token = await fredRegistered(e);
    await using impostor = await startImpostor(e.port);
    const r = await tryEverything(e, { IPC_SHARED_SECRET: "team secret" });
    onlyHellos(await impostor.stop(), token);
    expect(r.send.code).toBe(3);
    expect(r.send.stderr).toContain("did not prove IPC_SHARED_SECRET");
    expect(r.doctor.stdout).not.toContain("✔ broker answers");
  }, 30_000);

  test("a relay to the real broker does not verify: the broker's proof names the port it listens on", async () => {
    const e = ipcEnv({ IPC_SOCKET: "off" });
    const real = ipcEnv({ IPC_HOME: e.home, IPC_SOCKET: "off" });
    await using _broker = await startBrokerProcess(real);
    expect((await ipc(real, ["register", "fred"])).code).toBe(0);
    const token = JSON.parse(readFileSync(join(e.home, "sessions", "fred.json"), "utf8")).token;
    const received: string[] = [];
    // A program of this user that holds e's port and forwards both ways to the real broker.
    using _relay = Bun.listen<{ upstream: Promise<import("bun").Socket<undefined>> }>({
      hostname: "127.0.0.1",
      port: e.port,
      socket: {
        open(s) {
          s.data = {
            upstream: Bun.connect({ hostname: "127.0.0.1", port: real.port, socket: { data: (_u, chunk) => void s.write(chunk), close: () => void s.end() } }),
          };
        },
        async data(s, chunk) {
          received.push(...chunk.toString().split("\n").filter(Boolean));
          (await s.data.upstream).write(chunk);
        },
        async close(s) {
          (await s.data.upstream).end();
        },
      },
    });
    const r = await ipc(e, ["send", "barney", "the launch code is 1234", "--as", "fred"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("it did not prove this IPC_HOME's key");
    onlyHellos(received, token);
    // The real broker itself is trusted on its own port.
    expect((await ipc(real, ["send", "barney", "hi", "--as", "fred"])).code).toBe(0);
  }, 30_000);

  test("the broker of another IPC_HOME on the port is not this home's broker", async () => {
    const mine = ipcEnv();
    const theirs = ipcEnv({ IPC_PORT: String(mine.port), IPC_SOCKET: "off" });
    await using _broker = await startBrokerProcess(theirs);
    const r = await ipc(mine, ["register", "fred"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`is not this IPC_HOME's broker (${mine.home})`);
    expect((await ipc(theirs, ["list", "--json"])).stdout).toContain("[]");
  }, 30_000);

  test.skipIf(multiUserSkip !== null)("an impostor run by another user gets nothing at all: refused by its uid before hello", async () => {
    const e = ipcEnv();
    const token = await fredRegistered(e);
    await using user = await otherUser();
    await using impostor = await startImpostor(e.port, user.as({ PATH: process.env.PATH ?? "/usr/bin:/bin" }));
    const r = await tryEverything(e);
    const received = await impostor.stop();
    expect(received).toEqual([]);
    onlyHellos(received, token);
    expect(r.send.code).toBe(3);
    expect(r.send.stderr).toContain(`belongs to another user (${user.name}, uid ${user.uid})`);
    expect(r.send.stderr).toContain(`user ${user.name} (uid ${user.uid})`);
    expect(r.status.stdout).not.toContain("●");
    expect(r.doctor.stdout).not.toContain("✔ broker answers");
    // Even with IPC_SHARED_SECRET (no uid check then), the impostor cannot prove the secret.
    await using again = await startImpostor(e.port, user.as({ PATH: process.env.PATH ?? "/usr/bin:/bin" }));
    expect((await ipc(e, ["send", "barney", "the launch code is 1234", "--as", "fred"], { env: { IPC_SHARED_SECRET: "s" } })).code).toBe(3);
    onlyHellos(await again.stop(), token);
  }, 60_000);
});
