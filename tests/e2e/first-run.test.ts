/**
 * What a first-time user meets (issue 12's rough edges), through the real
 * CLI: colour only where it belongs, "did you mean", `ipc help`, JSON that
 * says ok, plurals, a readable `ipc list`, shared output framed in `check`,
 * and a wrong shared secret named as such.
 */
import { expect, test } from "bun:test";
import { ipc, ipcEnv, ipcJson, startBrokerProcess } from "../helpers/processes.ts";

const ANSI = /\x1b\[[0-9;]*m/;
/** The environment of a plain terminal session: no NO_COLOR, no CI/TEST (citty stops colouring under those). */
const colourable = { NO_COLOR: "", CI: "", TEST: "", TERM: "xterm-256color" };

test("help piped to another program has no ANSI colours; FORCE_COLOR brings them, NO_COLOR wins", async () => {
  const e = ipcEnv(colourable);
  const piped = await ipc(e, ["--help"]);
  expect(piped.code).toBe(0);
  expect(piped.stdout).toContain("USAGE");
  expect(piped.stdout).not.toMatch(ANSI);
  expect((await ipc(e, ["send", "--help"])).stdout).not.toMatch(ANSI);
  expect((await ipc(e, ["--help"], { env: { FORCE_COLOR: "1" } })).stdout).toMatch(ANSI);
  expect((await ipc(e, ["--help"], { env: { FORCE_COLOR: "1", NO_COLOR: "1" } })).stdout).not.toMatch(ANSI);
  const usage = await ipc(e, ["send"]); // a usage error shows the usage on stderr, uncoloured off a terminal
  expect(usage.code).toBe(2);
  expect(usage.stderr).toContain("USAGE ipc send");
  expect(usage.stderr).not.toMatch(ANSI);
});

test("an unknown command or option says what was meant; exit 2, nothing run", async () => {
  const e = ipcEnv();
  const command = await ipc(e, ["chek"]);
  expect(command.code).toBe(2);
  expect(command.stderr).toContain("unknown command chek; did you mean check?");
  const option = await ipc(e, ["check", "--peak"]);
  expect(option.code).toBe(2);
  expect(option.stderr).toContain("unknown option --peak for ipc check; did you mean --peek?");
  const sub = await ipc(e, ["setup", "curser"]);
  expect(sub.code).toBe(2);
  expect(sub.stderr).toContain("unknown command ipc setup curser; did you mean cursor?");
  expect((await ipc(e, ["status", "--no-spawn"])).code).toBe(3); // nothing started a broker
});

test("ipc help [command] and sub-command help show the full command path", async () => {
  const e = ipcEnv();
  const send = await ipc(e, ["help", "send"]);
  expect(send.code).toBe(0);
  expect(send.stdout).toContain("USAGE ipc send");
  expect((await ipc(e, ["help"])).stdout).toContain("USAGE ipc ");
  expect((await ipc(e, ["setup", "cursor", "--help"])).stdout).toContain("USAGE ipc setup cursor");
  expect((await ipc(e, ["help", "setup", "codex"])).stdout).toContain("USAGE ipc setup codex");
  const unknown = await ipc(e, ["help", "sned"]);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain("did you mean send?");
});

test("--json success says ok: true; status counts in the singular; list in columns with readable times", async () => {
  const e = ipcEnv();
  await using _broker = await startBrokerProcess(e);
  const reg = await ipcJson(e, ["register", "fred"]);
  expect(reg.ok).toBe(true);
  const long = "a-rather-long-name-for-columns-x";
  expect(long.length).toBeLessThanOrEqual(32);
  await ipc(e, ["register", long]);
  expect((await ipcJson(e, ["send", "fred", "hi", "--as", long])).ok).toBe(true);

  const status = await ipc(e, ["status"]);
  expect(status.stdout).toMatch(/2 instances, 1 message \(1 unread\), 1 connection\b/);

  const list = await ipc(e, ["list"]);
  const lines = list.stdout.trimEnd().split("\n");
  expect(lines[0]).toMatch(/^ {2}NAME +UNREAD +LAST SEEN$/);
  expect(list.stdout).not.toMatch(/\d{4}-\d\d-\d\dT/); // no raw ISO times
  expect(list.stdout).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ/);
  // Every row's unread column ends where the header's does, a long name cut to fit.
  const end = lines[0]!.indexOf("UNREAD") + "UNREAD".length;
  for (const row of lines.slice(1)) expect(row.slice(end - 1, end + 1)).toMatch(/^\S /);
  expect(list.stdout).toContain(`${long.slice(0, 23)}…`);
});

test("check shows a shared command's output framed and readable, not as one line of JSON", async () => {
  const e = ipcEnv();
  await using _broker = await startBrokerProcess(e);
  await ipc(e, ["register", "fred"]);
  await ipc(e, ["register", "barney"]);
  expect((await ipc(e, ["share-command", "fred", "--as", "barney", "--", "echo", "hello from barney"])).code).toBe(0);
  const r = await ipc(e, ["check", "--as", "fred"]);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("  ----- stdout -----\n  hello from barney\n");
  expect(r.stdout).not.toContain('"type":"command"');
});

test("a wrong shared secret is named as such, with the command that shows which side differs", async () => {
  const e = ipcEnv({ IPC_SHARED_SECRET: "the-brokers-secret" });
  await using _broker = await startBrokerProcess(e);
  const r = await ipc(e, ["register", "fred"], { env: { IPC_SHARED_SECRET: "another-secret" } });
  // The client checks the broker before sending anything (docs/security.md): nothing was sent, exit 3.
  expect(r.code).toBe(3);
  expect(r.stderr).toContain("IPC_SHARED_SECRET here differs from the broker's secret");
  expect(r.stderr).toContain("ipc doctor");
  expect(r.stderr).not.toContain("hello first");
  expect(r.stderr + r.stdout).not.toContain("another-secret");
});

test("the setup hint keeps the flags given; Codex (no project file) offers no --dir", async () => {
  const e = ipcEnv();
  const r = await ipc(e, ["setup", "cursor", "--name", "cur", "--scope", "project", "--dir", e.home]);
  expect(r.code).toBe(0);
  expect(r.stderr).toContain(`or run \`ipc setup cursor --name cur --scope project --dir ${e.home} --write\``);
  const codex = await ipc(e, ["setup", "codex", "--help"]);
  expect(codex.stdout).toContain("USAGE ipc setup codex");
  expect(codex.stdout).not.toContain("--dir");
  const stray = await ipc(e, ["setup", "codex", "--dir", e.home]);
  expect(stray.code).toBe(2);
  expect(stray.stderr).toContain("unknown option --dir for ipc setup codex");
});

test("serve --detach against another IPC_HOME's broker on the port says whose it is and fails; doctor says so too", async () => {
  const e = ipcEnv();
  await using broker = await startBrokerProcess(e);
  const other = ipcEnv({ IPC_PORT: String(e.port) });
  const r = await ipc(other, ["serve", "--detach"]);
  // It cannot prove this home's key: refused before anything is sent, naming the port's holder.
  expect(r.code).toBe(3);
  expect(r.stderr).toContain(`is not this IPC_HOME's broker (${other.home})`);
  expect(r.stderr).toContain(`pid ${broker.proc.pid}`);
  expect(r.stderr).toContain("IPC_PORT=<free port>");
  const doctor = await ipc(other, ["doctor"]);
  expect(doctor.code).toBe(1);
  expect(doctor.stdout).toContain(`✖ refusing the broker at 127.0.0.1:${e.port}`);
  expect((await ipc(e, ["serve", "--detach"])).stdout).toContain("A broker is already running"); // its own home: fine
  void broker;
});

test("after a rename, the old IPC_NAME is told the new name, not to register the old one again", async () => {
  const e = ipcEnv();
  await using _broker = await startBrokerProcess(e);
  await ipc(e, ["register", "barney"]);
  expect((await ipc(e, ["rename", "barney-debugging"], { env: { IPC_NAME: "barney" } })).code).toBe(0);
  const old = await ipc(e, ["check"], { env: { IPC_NAME: "barney" } });
  expect(old.code).toBe(1);
  expect(old.stderr).toContain("barney was renamed to barney-debugging: update IPC_NAME (export IPC_NAME=barney-debugging)");
  expect(old.stderr).not.toContain("ipc register barney");
  expect((await ipc(e, ["check"], { env: { IPC_NAME: "barney-debugging" } })).code).toBe(0);
});

test("a send to a name nobody registered says so, guesses the typo, and `ipc unsend` takes it back", async () => {
  const e = ipcEnv();
  await using _broker = await startBrokerProcess(e);
  await ipc(e, ["register", "fred"]);
  await ipc(e, ["register", "barney"]);
  const r = await ipc(e, ["send", "fredd", "lunch?", "--as", "barney"]);
  expect(r.code).toBe(0);
  const id = Number(r.stdout.match(/#(\d+)/)![1]);
  expect(r.stderr).toContain(`no agent named fredd has registered; did you mean fred? (it will wait 7 days for fredd: \`ipc unsend ${id}\` takes it back)`);

  const unsent = await ipc(e, ["unsend", String(id), "--as", "barney"]);
  expect(unsent.code).toBe(0);
  expect(unsent.stdout).toContain(`Unsent #${id}: fredd will never see it`);
  await ipc(e, ["register", "fredd"]);
  expect((await ipcJson(e, ["check", "--as", "fredd"])).messages).toEqual([]);
  expect((await ipcJson(e, ["history", "--as", "fredd"])).messages).toEqual([]);

  // Only your own, unread messages: a read one is too late, someone else's is not found.
  const sent = await ipcJson(e, ["send", "fred", "hi", "--as", "barney"]);
  expect(sent.message_id).toBeGreaterThan(id); // the unsent message was the newest: its id stays taken
  expect((await ipc(e, ["unsend", String(sent.message_id), "--as", "fred"])).stderr).toContain(`no message ${sent.message_id} that fred sent`);
  await ipc(e, ["check", "--as", "fred"]);
  const late = await ipc(e, ["unsend", String(sent.message_id), "--as", "barney"]);
  expect(late.code).toBe(1);
  expect(late.stderr).toContain("has already been read: too late to unsend it");
  // A new message never reuses the id of one taken back.
  const next = await ipcJson(e, ["send", "fred", "again", "--as", "barney"]);
  expect(next.message_id).toBeGreaterThan(sent.message_id);
});
