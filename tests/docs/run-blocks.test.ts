/**
 * Every shell block of README.md and docs/*.md runs as written, the way a
 * reader runs it (tests/docs/_run-page.ts): in a temporary HOME with free
 * ports, against real brokers started by the commands themselves, with the
 * compiled `ipc` (what the docs put on PATH: dist/ipc). Each command line must
 * exit 0 and print what the page shows. Markers in the pages
 * (`<!-- docs-test: … -->`, tests/docs/_blocks.ts) say which blocks run in
 * another terminal or machine, which cannot run here and why; the table below
 * fills in the pages' placeholders and the files a reader is assumed to have.
 * The output lists every block that did not run, with its reason.
 *
 * One page: DOCS_TEST_PAGE=docs/remote.md; a draft of it: DOCS_TEST_TEXT=FILE;
 * every line's command and output kept: DOCS_TEST_KEEP=1; another build of
 * ipc: IPC_TEST_BIN=path.
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { compiledBinary } from "../helpers/binary.ts";
import { type Block, commandLines, pageBlocks, parseMarker } from "./_blocks.ts";
import { documents, ROOT } from "./_docs.ts";
import { type Fill, type PageContext, findShown } from "./_fills.ts";
import { processesUnder } from "./_processes.ts";
import { type BlockResult, type Fixture, runPage } from "./_run-page.ts";

/** The pages' placeholders and stand-ins, and what fills them here. */
const FILLS: Fill[] = [
  // README: the build is what `npm ci` (CI) and tests/helpers/binary.ts did before this test; nothing is downloaded.
  { page: "README.md", shown: "npm install && npm run build", value: () => ":", why: "npm ci and the build ran before this test (tests/helpers/binary.ts)" },
  // docs/remote.md: "Run that line on the other machine": the line `ipc invite` printed, pasted as printed;
  // "this machine's address" is a loopback TLS listener on a free port.
  { page: "docs/remote.md", shown: "ipc join 'ipc+tls://192.168.1.20:9443#fp=SHA256:k3P…Q&code=Vb1…x'", value: (c) => c.captured(/^ipc join .+$/m), output: "ipc join 'ipc\\+tls://127\\.0\\.0\\.1:\\d+#fp=SHA256:[\\w-]+&code=[\\w-]+'", why: "the line `ipc invite` printed, pasted as it is" },
  { page: "docs/remote.md", shown: "ipc+tls://192.168.1.20:9443#fp=SHA256:k3P…Q&code=Vb1…x", value: (c) => c.captured(/ipc\+tls:\/\/[^\s'"]+/), output: "ipc\\+tls://127\\.0\\.0\\.1:\\d+#fp=SHA256:[\\w-]+&code=[\\w-]+", why: "the link `ipc invite` printed" },
  { page: "docs/remote.md", shown: "192.168.1.20:9443", value: (c) => `127.0.0.1:${c.port("9443")}`, why: "a free loopback port stands for the LAN address" },
  // docs/cluster.md: a free port for NATS and each broker, folders in the page's own temporary folder.
  { page: "docs/cluster.md", shown: "4222", value: (c) => String(c.port("4222")), why: "a free port for nats-server" },
  { page: "docs/cluster.md", shown: "9901", value: (c) => String(c.port("9901")), why: "a free port" },
  { page: "docs/cluster.md", shown: "9902", value: (c) => String(c.port("9902")), why: "a free port" },
  { page: "docs/cluster.md", shown: "/tmp/", value: (c) => `${c.root}/tmp/`, why: "the page's own temporary folder" },
  // docs/troubleshooting.md: "another port" is a free one.
  { page: "docs/troubleshooting.md", shown: "9877", value: (c) => String(c.port("9877")), why: "a free port" },
  // docs/identity.md: the shell's pid.
  { page: "docs/identity.md", shown: "31337", value: () => "", output: "\\d+", why: "the pid of the reader's shell" },
  // docs/migrating.md: "another file" is a second old database.
  { page: "docs/migrating.md", shown: "PATH --all", value: () => "old/messages.db --all", why: "a second claude-ipc-mcp database (fixture)" },
];

/** A claude-ipc-mcp database (its `_init_database` schema) with one unread and one read message. */
function legacyDatabase(path: string): void {
  const db = new Database(path, { create: true });
  db.exec(`
    CREATE TABLE messages (
      id INTEGER PRIMARY KEY AUTOINCREMENT, from_id TEXT NOT NULL, to_id TEXT NOT NULL, content TEXT NOT NULL,
      timestamp TEXT NOT NULL, data TEXT, summary TEXT, large_file_path TEXT, read_flag INTEGER DEFAULT 0);
    CREATE TABLE instances (instance_id TEXT PRIMARY KEY, last_seen TEXT NOT NULL);
    CREATE TABLE sessions (session_token_hash TEXT PRIMARY KEY, instance_id TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL);
    CREATE TABLE name_history (old_name TEXT PRIMARY KEY, new_name TEXT NOT NULL, changed_at TEXT NOT NULL);
  `);
  const add = db.prepare("INSERT INTO messages (from_id, to_id, content, timestamp, data, read_flag) VALUES (?, ?, ?, ?, ?, ?)");
  add.run("barney", "fred", "Lunch at noon?", "2025-01-28T10:20:30.123456", null, 0);
  add.run("wilma", "fred", "old news", "2025-01-27T09:00:00", null, 1);
  db.close();
}

/** Files the pages assume their reader has. */
const FIXTURES: Fixture[] = [
  {
    page: "docs/cli.md",
    files: { "src/app.ts": "export const handler = () => 'ok';\n", "package.json": '{"scripts": {"test": "echo 1 test failed; exit 1"}}\n' },
    why: "the reader's project: a source file, an npm test script",
  },
  {
    page: "docs/security.md",
    files: {
      "notes/setup.md": "# Setup\n",
      "~/.ssh/id_ed25519.pub": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDocsTestOnlyNotAKey reader@example\n",
      "deploy/server.pem": "-----BEGIN CERTIFICATE-----\nMIIBdocs-test\n-----END CERTIFICATE-----\n",
      "test/fixtures/key.pem": "-----BEGIN PRIVATE KEY-----\nMIIBdocs-test\n-----END PRIVATE KEY-----\n",
    },
    why: "a note, a public key, a certificate and a test key to share",
  },
  {
    page: "docs/migrating.md",
    files: { "~/.claude-ipc-data/messages.db": legacyDatabase, "old/messages.db": legacyDatabase },
    why: "claude-ipc-mcp's database, and another one",
  },
];

const root = mkdtempSync(join(tmpdir(), "ipc-docs-run-"));
/** DOCS_TEST_PAGE=docs/remote.md runs that page only; DOCS_TEST_TEXT=FILE runs FILE's text as that page (a draft). */
const only = process.env.DOCS_TEST_PAGE;
const draft = process.env.DOCS_TEST_TEXT;
const pages = documents().map(([path, text]) => ({ path, blocks: pageBlocks(path, path === only && draft ? readFileSync(draft, "utf8") : text) }));
const runnable = pages.filter((p) => (only === undefined || p.path === only) && p.blocks.some((b) => b.kind === "commands" || b.kind === "transcript"));
const results = new Map<string, BlockResult[]>();
const seconds = new Map<string, number>();

/** Runs `jobs` with at most `limit` at a time. */
async function pool<T>(jobs: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await jobs[i]!();
      }
    }),
  );
  return out;
}

/** The runner reads /proc (a shell's children, what a page left running): Linux only. */
const linux = process.platform === "linux";

beforeAll(async () => {
  if (!linux) return;
  // IPC_TEST_BIN (as in tests/helpers/processes.ts) runs another build of ipc, e.g. one from a branch under review.
  const binary = process.env.IPC_TEST_BIN ? resolve(ROOT, process.env.IPC_TEST_BIN) : await compiledBinary();
  const options = { ipcBinary: binary, repo: ROOT, fills: FILLS, fixtures: FIXTURES, extraPath: [join(ROOT, "node_modules", ".bin")], lineTimeoutMs: 30_000 };
  const started = performance.now();
  const ran = await pool(
    runnable.map((p, i) => async (): Promise<BlockResult[]> => {
      const t0 = performance.now();
      try {
        return await runPage(p.path, p.blocks, join(root, String(i)), options);
      } catch (err) {
        // The runner itself failed on this page: say so on its first block.
        const first = p.blocks.find((b) => b.kind === "commands" || b.kind === "transcript")!;
        return [{ block: first, status: "failed", why: [`the runner failed: ${(err as Error).stack}`] }];
      } finally {
        seconds.set(p.path, (performance.now() - t0) / 1000);
      }
    }),
    3,
  );
  runnable.forEach((p, i) => results.set(p.path, ran[i]!));
  const all = ran.flat();
  const lines: string[] = [
    `Docs blocks: ${all.filter((r) => r.status !== "skipped").length} run on ${runnable.length} pages in ${((performance.now() - started) / 1000).toFixed(1)} s, ` +
      `${all.filter((r) => r.status === "failed").length} failed (${[...seconds].map(([p, s]) => `${p} ${s.toFixed(1)} s`).join(", ")}); ` +
      `${all.filter((r) => r.status === "skipped").length} not run here:`,
  ];

  for (const [page, rs] of results)
    for (const r of rs) if (r.status === "skipped") lines.push(`  ${page}:${r.block.line}  ${firstLine(r.block)}  — ${r.why.join("; ")}`);
  lines.push("Placeholders and stand-ins:");
  for (const f of FILLS) lines.push(`  ${f.page}: "${f.shown}" — ${f.why}`);
  lines.push("Files a page assumes its reader has:");
  for (const f of FIXTURES) lines.push(`  ${f.page}: ${Object.keys(f.files).join(", ")} — ${f.why}`);
  console.log(lines.join("\n"));
}, 240_000);

/** DOCS_TEST_KEEP=1 keeps every line's command, stdout and stderr (ROOT/<page>/.terminals/…) to read afterwards. */
afterAll(() => {
  if (process.env.DOCS_TEST_KEEP) console.log(`docs-test: kept ${root}`);
  else rmSync(root, { recursive: true, force: true });
});

function firstLine(block: Block): string {
  const first = commandLines(block)[0]?.text ?? "";
  return `\`${first.length > 60 ? `${first.slice(0, 59)}…` : first}\``;
}

test.skipIf(!linux)("the docs have shell blocks to run, and this test runs most of them", () => {
  const all = [...results.values()].flat();
  if (only !== undefined) return;
  expect(all.length).toBeGreaterThan(20);
  expect(all.filter((r) => r.status !== "skipped").length).toBeGreaterThan(all.length / 2);
});

test.skipIf(!linux).each(runnable.map((p) => [p.path]))("%s: every shell block runs as written", (page) => {
  const failed = (results.get(page) ?? []).filter((r) => r.status === "failed");
  const report = failed.map((r) => `${page}:${r.block.line} ${firstLine(r.block)}\n    ${r.why.join("\n    ")}`).join("\n");
  expect(report).toBe("");
});

test("every placeholder and fixture of the table is still in its page (the table cannot go stale)", () => {
  const texts = new Map(documents());
  for (const fill of FILLS) expect(`${fill.page}: ${texts.get(fill.page)?.includes(fill.shown) ? "shows" : "does not show"} "${fill.shown}"`).toBe(`${fill.page}: shows "${fill.shown}"`);
  for (const fixture of FIXTURES) expect(texts.has(fixture.page)).toBe(true);
});

test("every docs-test marker in the pages sits right above a fenced block", () => {
  for (const [path, text] of documents()) {
    const lines = text.split("\n");
    lines.forEach((line, i) => {
      if (!/^\s*<!--\s*docs-test:/.test(line)) return;
      let next = i + 1;
      while (/^\s*<!--\s*docs-test:/.test(lines[next] ?? "")) next++;
      expect(`${path}:${i + 1} ${lines[next]?.trim().startsWith("```") ? "above a block" : `above "${lines[next]}"`}`).toBe(`${path}:${i + 1} above a block`);
    });
  }
});

test("a marker says skip, terminal, machine, fails, needs, given and bound; an unknown key is an error", () => {
  expect(parseMarker("skip — macOS only")).toEqual({ skip: "macOS only", reason: "macOS only" });
  expect(parseMarker("terminal=fred")).toEqual({ terminal: "fred" });
  expect(parseMarker("machine=devbox fails=2,3 needs=nats-server bound=5")).toEqual({ machine: "devbox", fails: [2, 3], needs: ["nats-server"], bound: 5 });
  expect(parseMarker("given=`ipc register wilma` -- someone to send as")).toEqual({ given: ["ipc register wilma"], reason: "someone to send as" });
  expect(parseMarker("given=`ipc share-command fred -- ls` — a dash in a value")).toEqual({ given: ["ipc share-command fred -- ls"], reason: "a dash in a value" });
  expect(() => parseMarker("skipp")).toThrow('unknown docs-test marker key "skipp"');
});

test("blocks: indented fences, markers above them, transcripts and their output, continuations", () => {
  const page = [
    "<!-- docs-test: terminal=t1 -->",
    "```sh",
    "export A=1   # comment",
    "# only a comment",
    "ipc send fred \\",
    "  hi",
    "```",
    "- item",
    "  ```sh",
    "  ipc list",
    "  ```",
    "```text",
    "$ ipc whoami",
    "alice",
    "```",
    "<!-- docs-test: output -->",
    "```",
    "shown",
    "```",
  ].join("\n");
  const blocks = pageBlocks("p.md", page);
  expect(blocks.map((b) => [b.line, b.kind, b.marker.terminal])).toEqual([[2, "commands", "t1"], [9, "commands", undefined], [12, "transcript", undefined], [17, "output", undefined]]);
  expect(commandLines(blocks[0]!).map((l) => l.text)).toEqual(["export A=1   # comment", "ipc send fred \\\n  hi"]);
  expect(commandLines(blocks[1]!).map((l) => l.text)).toEqual(["ipc list"]);
  expect(commandLines(blocks[2]!)).toEqual([{ n: 1, text: "ipc whoami", shown: ["alice"] }]);
});

test("a command that spans lines is one: a here-document, an if, an open quote; a broken line is still its own", () => {
  const block = (body: string): Block => ({ page: "p.md", line: 1, lang: "sh", body, kind: "commands", marker: {} });
  const lines = (body: string) => commandLines(block(body)).map((l) => l.text);
  expect(lines("cat > f <<'EOF'\nlisten: 1\n}\nEOF\necho done")).toEqual(["cat > f <<'EOF'\nlisten: 1\n}\nEOF", "echo done"]);
  expect(lines("if true; then\n  echo a\nfi\necho 'x\ny'")).toEqual(["if true; then\n  echo a\nfi", "echo 'x\ny'"]);
  expect(lines("}\necho b")).toEqual(["}", "echo b"]);
  expect(lines("echo 'never closed\necho c")).toEqual(["echo 'never closed\necho c"]);
});

test("shown output: fills and … match what varies, everything else must be there, in order", () => {
  const ctx: PageContext = { root: "/r", port: () => 4000, captured: () => "" };
  const fills: Fill[] = [{ page: "p", shown: "HOST:9443", value: (c) => `127.0.0.1:${c.port("x")}`, why: "" }];
  expect(findShown(["ipc join ipc+tls://HOST:9443#fp=SHA256:k3P…Q&code=Vb1…x"], "ipc join ipc+tls://127.0.0.1:4000#fp=SHA256:Ab_c-9&code=zz\n", fills, ctx)).toBeUndefined();
  expect(findShown(["a", "b …"], "a\nx\nb anything at all\n", [], ctx)).toBeUndefined();
  expect(findShown(["b", "a"], "a\nb\n", [], ctx)).toBe("a");
  expect(findShown(["ipc join ipc+tls://HOST:9443#fp=…"], "ipc join ipc+tls://127.0.0.1:4001#fp=x\n", fills, ctx)).toBe("ipc join ipc+tls://HOST:9443#fp=…");
});

test.skipIf(!linux)("the runner keeps one shell per page, runs terminals at once, and sees a failing line", async () => {
  const dir = mkdtempSync(join(root, "self-"));
  const page = [
    "```sh",
    "export GREETING=hello",
    "cd /",
    "```",
    "<!-- docs-test: terminal=t1 -->",
    "```sh",
    "while [ ! -e \"$TMPDIR/go\" ]; do sleep 0.05; done; echo \"$GREETING from $PWD\"",
    "```",
    "<!-- docs-test: output -->",
    "```",
    "hello from /",
    "```",
    "<!-- docs-test: terminal=t2 -->",
    "```sh",
    "touch \"$TMPDIR/go\"",
    "```",
    "```sh",
    "false",
    "echo $GREETING",
    "```",
    "<!-- docs-test: output -->",
    "```",
    "hello",
    "```",
    "<!-- docs-test: fails=1 bound=1 -->",
    "```sh",
    "ls /nonexistent",
    "sleep 30",
    "```",
    "```sh",
    "sleep 30 &   # left running on purpose",
    "sh -c 'exit 4' & true",
    "```",
    "<!-- docs-test: skip — not here -->",
    "```sh",
    "rm -rf /",
    "```",
  ].join("\n");
  writeFileSync(join(dir, "p.md"), page);
  const binary = await compiledBinary();
  const rs = await runPage("p.md", pageBlocks("p.md", page), dir, { ipcBinary: binary, repo: ROOT, fills: [], fixtures: [], extraPath: [], lineTimeoutMs: 10_000 });
  expect(rs.map((r) => r.status)).toEqual(["ok", "ok", "ok", "failed", "ok", "failed", "skipped"]);
  expect(rs[3]!.why).toEqual([expect.stringContaining("line 1 `false` exited 1")]);
  // A job the page leaves running is not waited for; one a line split off at an unquoted & is, and its failure counts.
  expect(rs[5]!.why).toEqual([expect.stringContaining("line 2 `sh -c 'exit 4' & true` exited 4")]);
  expect(rs[6]!.why).toEqual(["not here"]);
  expect(processesUnder(dir)).toEqual([]); // everything the page started is stopped
}, 30_000);
