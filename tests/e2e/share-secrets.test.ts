/**
 * share-file / share_file and share-command / share_command refuse secrets
 * (issue 10 hole 5): ipc's own home, credential stores, .env files, private
 * keys by name and by content, /etc/shadow, and symlinks to any of them. The
 * CLI may override with --allow-sensitive; the MCP tools never.
 */
import { describe, expect, test } from "bun:test";
import { linkSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startMcp, stopBroker } from "../mcp/_mcp.ts";
import { type IpcEnv, ipc, ipcEnv, ipcJson, startBrokerProcess, tempHome } from "../helpers/processes.ts";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n";

/** A HOME with the usual secrets in it, and a work directory with innocent-looking links to them. */
function secrets(): { home: string; work: string } {
  const home = realpathSync(tempHome("ipc-secrets-home-"));
  const work = realpathSync(tempHome("ipc-secrets-work-"));
  for (const dir of [".ssh", ".aws", ".gnupg", ".kube", ".config/gcloud", ".docker"]) mkdirSync(join(home, dir), { recursive: true });
  writeFileSync(join(home, ".ssh/id_rsa"), KEY);
  writeFileSync(join(home, ".ssh/config"), "Host x\n");
  writeFileSync(join(home, ".aws/credentials"), "[default]\naws_secret_access_key = abc\n");
  writeFileSync(join(home, ".gnupg/gpg.conf"), "use-agent\n");
  writeFileSync(join(home, ".kube/config"), "apiVersion: v1\n");
  writeFileSync(join(home, ".config/gcloud/credentials.db"), "x\n");
  writeFileSync(join(home, ".docker/config.json"), "{}\n");
  writeFileSync(join(home, ".netrc"), "machine x login y password z\n");
  writeFileSync(join(work, ".env"), "TOKEN=1\n");
  writeFileSync(join(work, ".env.production"), "TOKEN=2\n");
  writeFileSync(join(work, "server.key"), "not really a key, but named like one\n");
  writeFileSync(join(work, "deploy.pem"), "named like a key\n");
  writeFileSync(join(work, "notes.txt"), `my notes\n${KEY}`); // a key pasted into an ordinary name
  writeFileSync(join(work, "plain.txt"), "nothing secret\n");
  symlinkSync(join(home, ".ssh/id_rsa"), join(work, "innocent.txt"));
  return { home, work };
}

async function pair(e: IpcEnv): Promise<void> {
  expect((await ipc(e, ["register", "fred"])).code).toBe(0);
  expect((await ipc(e, ["register", "barney"])).code).toBe(0);
}

const inbox = async (e: IpcEnv) => (await ipcJson(e, ["check", "--as", "fred"])).messages as any[];

describe("share-file refuses secrets", () => {
  test("CLI: every secret is refused with its real path, nothing is sent; --allow-sensitive overrides", async () => {
    const { home, work } = secrets();
    const e = ipcEnv({ HOME: home });
    await using _b = await startBrokerProcess(e);
    await pair(e);
    const cases: Array<[string, RegExp]> = [
      [join(home, ".ssh/id_rsa"), /inside ~\/\.ssh/],
      [join(home, ".ssh/config"), /inside ~\/\.ssh/],
      [join(home, ".aws/credentials"), /inside ~\/\.aws/],
      [join(home, ".gnupg/gpg.conf"), /inside ~\/\.gnupg/],
      [join(home, ".kube/config"), /inside ~\/\.kube/],
      [join(home, ".config/gcloud/credentials.db"), /inside ~\/\.config\/gcloud/],
      [join(home, ".docker/config.json"), /~\/\.docker\/config\.json, a credential file/],
      [join(home, ".netrc"), /~\/\.netrc/],
      [join(e.home, "sessions/fred.json"), /inside IPC_HOME/],
      [join(work, ".env"), /environment file/],
      [join(work, ".env.production"), /environment file/],
      [join(work, "server.key"), /private key's/],
      [join(work, "deploy.pem"), /private key's/],
      [join(work, "notes.txt"), /contains a private key block/],
      ["/etc/shadow", /password hashes/],
      ["/etc/gshadow", /password hashes/],
    ];
    for (const [path, why] of cases) {
      const r = await ipc(e, ["share-file", "fred", path, "--as", "barney"]);
      expect(r.code, path).toBe(1);
      expect(r.stderr, path).toContain(`refused to share ${path}`);
      expect(r.stderr, path).toMatch(why);
      expect(r.stderr, path).toContain("--allow-sensitive");
      expect(r.stdout).toBe("");
    }
    // The symlink shows where it really points.
    const link = await ipc(e, ["share-file", "fred", join(work, "innocent.txt"), "--as", "barney"]);
    expect(link.code).toBe(1);
    expect(link.stderr).toContain(`refused to share ${join(home, ".ssh/id_rsa")} (real path of ${join(work, "innocent.txt")})`);
    expect(await inbox(e)).toEqual([]);

    // An ordinary file still goes; a person may send a secret on purpose, shown by its real path.
    expect((await ipc(e, ["share-file", "fred", join(work, "plain.txt"), "--as", "barney"])).code).toBe(0);
    const forced = await ipcJson(e, ["share-file", "fred", join(work, "innocent.txt"), "--as", "barney", "--allow-sensitive"]);
    expect(forced).toMatchObject({ to: "fred", filepath: join(home, ".ssh/id_rsa") });
    const [plain, key] = await inbox(e);
    expect(plain.data.content).toBe("nothing secret\n");
    expect(key.content).toBe(`Shared file: ${join(home, ".ssh/id_rsa")}`);
    expect(key.data).toMatchObject({ filepath: join(home, ".ssh/id_rsa"), content: KEY });
  }, 30_000);

  test("CLI: share-command output holding a private key is refused unless --allow-sensitive", async () => {
    const { home } = secrets();
    const e = ipcEnv({ HOME: home });
    await using _b = await startBrokerProcess(e);
    await pair(e);
    const r = await ipc(e, ["share-command", "fred", "--as", "barney", "--", "cat", join(home, ".ssh/id_rsa")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`refused to share the output of cat ${join(home, ".ssh/id_rsa")}: it reads ${join(home, ".ssh/id_rsa")}: it is inside ~/.ssh`);
    expect(r.stderr).toContain("--allow-sensitive");
    const err = await ipc(e, ["share-command", "fred", "--as", "barney", "--", "sh", "-c", `cat ${join(home, ".ssh/id_rsa")} >&2`]);
    expect(err.code).toBe(1);
    expect(await inbox(e)).toEqual([]);
    const ok = await ipc(e, ["share-command", "fred", "--as", "barney", "--allow-sensitive", "--", "cat", join(home, ".ssh/id_rsa")]);
    expect(ok.code, ok.stderr).toBe(0);
    const [m] = await inbox(e);
    expect(m.data.stdout).toBe(KEY);
  }, 30_000);

  test("MCP: share_file and share_command never send secrets, and do not offer an override", async () => {
    const { home, work } = secrets();
    const e = ipcEnv({ HOME: home });
    try {
      await using a = await startMcp(e, { name: "sharer" });
      await using b = await startMcp(e, { name: "receiver" });
      await b.call("list_instances");
      for (const path of [join(work, "innocent.txt"), join(home, ".aws/credentials"), join(e.home, "sessions/sharer.json"), join(work, ".env"), join(work, "notes.txt"), "/etc/shadow"]) {
        const r = await a.call("share_file", { to: "receiver", path });
        expect(r.isError, path).toBe(true);
        expect(r.text, path).toContain("refused to share");
        expect(r.text, path).not.toContain("allow-sensitive");
      }
      const link = await a.call("share_file", { to: "receiver", path: join(work, "innocent.txt") });
      expect(link.text).toContain(`${join(home, ".ssh/id_rsa")} (real path of ${join(work, "innocent.txt")})`);
      // An argument the tool does not know is dropped, not obeyed.
      expect((await a.call("share_file", { to: "receiver", path: join(work, ".env"), allow_sensitive: true, allowSensitive: true })).isError).toBe(true);
      const cmd = await a.call("share_command", { to: "receiver", argv: ["cat", join(home, ".ssh/id_rsa")] });
      expect(cmd).toMatchObject({ isError: true, text: expect.stringContaining("it is inside ~/.ssh") });
      const pasted = await a.call("share_command", { to: "receiver", argv: ["cat", join(work, "notes.txt")] });
      expect(pasted).toMatchObject({ isError: true, text: expect.stringContaining("contains a private key block") });
      expect((await ipcJson(e, ["check", "--as", "receiver"])).messages).toEqual([]);
      expect((await a.call("share_file", { to: "receiver", path: join(work, "plain.txt") })).text).toContain(`Shared ${join(work, "plain.txt")} with receiver`);
    } finally {
      await stopBroker(e);
    }
  }, 30_000);
});

describe("security round 3b: shares that never send a secret (a prompt-injected agent through the MCP tools)", () => {
  const ANT = `sk-ant-api03-${"Ab3_".repeat(20)}xyz`;
  const GHP = `ghp_${"a1B2c3D4e5".repeat(4)}`;
  const ENV_SECRET = "s3cr3t-value-from-the-environment-0123456789";

  /** A HOME holding the AI hosts' credentials and the usual token stores; another IPC_HOME; a work folder. */
  function stores(): { home: string; work: string; otherHome: string } {
    const home = realpathSync(tempHome("ipc-3b-home-"));
    const work = realpathSync(tempHome("ipc-3b-work-"));
    const otherHome = realpathSync(tempHome("ipc-3b-other-ipc-"));
    const files: Record<string, string> = {
      ".claude/.credentials.json": `{"claudeAiOauth":{"accessToken":"x"}}\n`,
      ".codex/auth.json": `{"tokens":{"access_token":"x"}}\n`,
      ".gemini/oauth_creds.json": `{"access_token":"x"}\n`,
      ".config/gh/hosts.yml": "github.com:\n  oauth_token: x\n",
      ".npmrc": "//registry.npmjs.org/:_authToken=x\n",
      ".pypirc": "[pypi]\npassword = x\n",
      ".cargo/credentials.toml": '[registry]\ntoken = "x"\n',
      ".bash_history": "export X=1\n",
      ".zsh_history": ": 1:0;ls\n",
    };
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(join(home, rel, ".."), { recursive: true });
      writeFileSync(join(home, rel), text);
    }
    mkdirSync(join(otherHome, "sessions"));
    writeFileSync(join(otherHome, "sessions", "alice.json"), '{"name":"alice","token":"x"}\n');
    writeFileSync(join(otherHome, "broker.key"), `${"ab".repeat(32)}\n`);
    writeFileSync(join(work, "ant.txt"), `config\nkey=${ANT}\n`);
    writeFileSync(join(work, "gh.txt"), `token ${GHP}\n`);
    writeFileSync(join(work, "env-value.txt"), `it is ${ENV_SECRET}\n`);
    writeFileSync(join(work, "plain.txt"), "nothing secret\n");
    writeFileSync(join(work, "copied-session.json"), `{"name":"alice","token":"${"Ab1_-".repeat(8)}xyz","saved_at":"2026-01-01T00:00:00Z"}\n`);
    writeFileSync(join(work, ".pypirc"), "[pypi]\npassword = x\n");
    return { home, work, otherHome };
  }

  test("credential files, token stores, hard links into IPC_HOME, other homes' sessions, secret-shaped content: all refused", async () => {
    const { home, work, otherHome } = stores();
    const e = ipcEnv({ HOME: home });
    try {
      await using a = await startMcp(e, { name: "sharer", env: { MY_SERVICE_TOKEN: ENV_SECRET } });
      await using b = await startMcp(e, { name: "receiver" });
      await b.call("list_instances");
      linkSync(join(e.home, "broker.key"), join(work, "notes.txt"));
      const paths = [
        ...[".claude/.credentials.json", ".codex/auth.json", ".gemini/oauth_creds.json", ".config/gh/hosts.yml", ".npmrc", ".pypirc", ".cargo/credentials.toml", ".bash_history", ".zsh_history"].map((r) => join(home, r)),
        join(work, "notes.txt"), // a hard link to broker.key
        join(otherHome, "sessions", "alice.json"),
        join(work, "ant.txt"),
        join(work, "gh.txt"),
        join(work, "env-value.txt"),
        join(work, "copied-session.json"),
        join(work, ".pypirc"),
      ];
      for (const path of paths) {
        const r = await a.call("share_file", { to: "receiver", path });
        expect(r.isError, `${path}: ${r.text}`).toBe(true);
        expect(r.text, path).toContain("refused to share");
      }
      const commands = [
        `cat ${join(e.home, "broker.key")}`,
        "cat $IPC_HOME/broker.key",
        `cat ${join(work, "notes.txt")}`,
        "cat ~/.claude/.credentials.json",
        `cat ${join(home, ".codex/auth.json")}`,
        `head -c 100 --files0-from=${join(home, ".npmrc")}`,
        "env",
        "printenv MY_SERVICE_TOKEN",
        "/usr/bin/env",
        `cat ${join(work, "ant.txt")}`,
        `echo ${GHP}`,
        "sh -c 'echo $MY_SERVICE_TOKEN'",
        "cat /proc/self/environ",
      ];
      for (const command of commands) {
        const r = await a.call("share_command", { to: "receiver", command });
        expect(r.isError, `${command}: ${r.text}`).toBe(true);
      }
      expect((await ipcJson(e, ["check", "--as", "receiver"])).messages).toEqual([]);
      // Innocent work still goes.
      expect((await a.call("share_file", { to: "receiver", path: join(work, "plain.txt") })).isError).toBe(false);
      expect((await a.call("share_command", { to: "receiver", command: `cat ${join(work, "plain.txt")}` })).isError).toBe(false);
    } finally {
      await stopBroker(e);
    }
  }, 60_000);
});
