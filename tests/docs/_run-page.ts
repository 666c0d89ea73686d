/**
 * Runs the shell blocks of one markdown page as a reader would, for
 * tests/docs/run-blocks.test.ts: in order, in a temporary HOME (IPC_HOME is
 * its default ~/.ipc) with free IPC_PORT and IPC_UI_PORT, the page's shell
 * kept from block to block; blocks of other terminals (`terminal=`,
 * `machine=` markers, see _blocks.ts) at the same time. Every command line
 * must exit 0 (or non-zero where the marker says `fails=`), and print what
 * the page shows under it. Everything the page started is stopped at the end.
 *
 * Order: a block of the page's own shell starts when every block above it has
 * finished; a block of another terminal or machine starts when the page's
 * shell and that terminal have finished their blocks above it (so Terminal 1's
 * `check --wait` and Terminal 2's `send` run at once). A new terminal starts
 * with the page shell's exported variables and folder; a machine with a fresh
 * HOME, project and ports.
 */
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { type Block, type CommandLine, commandLines } from "./_blocks.ts";
import { freePort } from "../helpers/ports.ts";
import { type Fill, type PageContext, findShown, substitute } from "./_fills.ts";
import { stopAll } from "./_processes.ts";
import { type LineResult, Terminal } from "./_terminal.ts";

/** Files a page's reader is assumed to have: paths relative to the project, or `~/…`. */
export interface Fixture {
  page: string;
  files: Record<string, string | ((path: string) => void)>;
  why: string;
}

/** How one block went. */
export interface BlockResult {
  block: Block;
  status: "ok" | "failed" | "skipped";
  /** Why it was skipped, or what failed (one entry per problem). */
  why: string[];
}

/** Settings shared by every page. */
export interface RunOptions {
  /** Folder holding the `ipc` to put on PATH (the reader's installed ipc). */
  ipcBinary: string;
  /** The repository (its dist/ is linked into each project as the README's `$PWD/dist`). */
  repo: string;
  fills: Fill[];
  fixtures: Fixture[];
  /** Extra PATH entries after the system's (host CLIs). */
  extraPath: string[];
  /** Longest a command line may run unless its block has a bound (ms). */
  lineTimeoutMs: number;
}

/**
 * A page's safety net against downloads (a block marked to run by mistake):
 * npm offline, and every HTTP(S) client that honours the proxy variables
 * (curl, npm, Bun's fetch) sent to 127.0.0.1:9, where nothing listens; loopback stays direct.
 */
const UNREACHABLE_PROXY = "http://127.0.0.1:9";
export const NO_DOWNLOADS: Record<string, string> = {
  npm_config_offline: "true",
  http_proxy: UNREACHABLE_PROXY,
  https_proxy: UNREACHABLE_PROXY,
  HTTP_PROXY: UNREACHABLE_PROXY,
  HTTPS_PROXY: UNREACHABLE_PROXY,
  ALL_PROXY: UNREACHABLE_PROXY,
  no_proxy: "127.0.0.1,localhost,::1",
  NO_PROXY: "127.0.0.1,localhost,::1",
};

/** Runs the page's blocks; resolves with one result per block that is not plain text. */
export async function runPage(page: string, blocks: Block[], root: string, options: RunOptions): Promise<BlockResult[]> {
  const fills = options.fills.filter((f) => f.page === page);
  const ports = new Map<string, number>();
  const printed: string[] = [];
  const ctx: PageContext = {
    root,
    port(key) {
      if (!ports.has(key)) ports.set(key, freePort());
      return ports.get(key)!;
    },
    captured(pattern) {
      const all = [...printed.join("\n").matchAll(new RegExp(pattern.source, `${pattern.flags.replace("g", "")}g`))];
      if (all.length === 0) throw new Error(`nothing printed so far matches ${pattern}`);
      return all.at(-1)![0];
    },
  };

  const machines = new Map<string, { env: Record<string, string>; cwd: string }>();
  const machine = (name: string) => {
    if (!machines.has(name)) {
      const base = join(root, name);
      const home = join(base, "home");
      const bin = join(home, ".local", "bin");
      const cwd = join(base, "project");
      const tmp = join(base, "tmp");
      for (const d of [bin, cwd, tmp]) mkdirSync(d, { recursive: true });
      symlinkSync(options.ipcBinary, join(bin, "ipc"));
      symlinkSync(join(options.repo, "dist"), join(cwd, "dist"));
      makeProject(cwd, home, options.fixtures.filter((f) => f.page === page));
      const env: Record<string, string> = {
        HOME: home,
        PATH: [bin, ...(process.env.PATH ?? "/usr/bin:/bin").split(":"), ...options.extraPath].join(":"),
        IPC_PORT: String(freePort()),
        IPC_UI_PORT: String(freePort()),
        TMPDIR: tmp,
        NO_COLOR: "1",
        TERM: "dumb",
        LANG: "C.UTF-8",
        USER: process.env.USER ?? "root",
        LOGNAME: process.env.LOGNAME ?? process.env.USER ?? "root",
        // Nothing a page runs downloads: npm stays offline, HTTP(S) goes to a port where nothing listens.
        ...NO_DOWNLOADS,
      };
      machines.set(name, { env, cwd });
    }
    return machines.get(name)!;
  };

  const shells = new Map<string, Terminal>();
  let snapshots = 0;
  const shellFor = async (machineName: string, terminalName: string): Promise<Terminal> => {
    const key = `${machineName}/${terminalName}`;
    const existing = shells.get(key);
    if (existing) return existing;
    const m = machine(machineName);
    const dir = join(root, ".terminals", machineName, terminalName);
    mkdirSync(dir, { recursive: true });
    const terminal = new Terminal(key, dir, m.env, m.cwd);
    shells.set(key, terminal);
    if (terminalName !== "main") {
      // A new terminal starts where the machine's first terminal is now (its exports, its folder).
      const main = await shellFor(machineName, "main");
      const file = join(root, ".terminals", `snapshot-${++snapshots}.sh`);
      await main.snapshot(file);
      const r = await terminal.run(`. '${file}'`, { timeoutMs: 5_000 });
      if (r.code !== 0) throw new Error(`terminal ${key} could not start from ${machineName}/main: ${r.stderr}`);
    }
    return terminal;
  };

  const results: BlockResult[] = [];
  const tasks: Promise<void>[] = [];
  let lastMain: Promise<void> = Promise.resolve();
  const tails = new Map<string, Promise<void>>();

  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i]!;
    if (block.kind !== "commands" && block.kind !== "transcript") continue;
    const result: BlockResult = { block, status: "ok", why: [] };
    results.push(result);
    if (block.marker.skip !== undefined) {
      result.status = "skipped";
      result.why.push(block.marker.skip);
      continue;
    }
    const missing = (block.marker.needs ?? []).filter((p) => Bun.which(p, { PATH: machine("local").env.PATH }) === null);
    if (missing.length > 0) {
      result.status = "skipped";
      result.why.push(`${missing.join(", ")} not installed here`);
      continue;
    }
    const next = blocks[i + 1];
    const shownOutput = next?.kind === "output" ? next.body.split("\n") : undefined;
    const machineName = block.marker.machine ?? "local";
    const terminalName = block.marker.terminal ?? "main";
    const key = `${machineName}/${terminalName}`;
    const isMain = block.marker.terminal === undefined && block.marker.machine === undefined;
    const after = isMain ? Promise.all(tasks) : Promise.all([lastMain, tails.get(key) ?? Promise.resolve()]);
    const task = after.then(async () => {
      const terminal = await shellFor(machineName, terminalName);
      await runBlock(block, terminal, result, shownOutput);
    });
    tasks.push(task);
    tails.set(key, task);
    if (isMain) lastMain = task;
  }

  async function runBlock(block: Block, terminal: Terminal, result: BlockResult, shownOutput?: string[]): Promise<void> {
    const fail = (why: string) => {
      result.status = "failed";
      result.why.push(why);
    };
    for (const given of block.marker.given ?? []) {
      const r = await terminal.run(given, { timeoutMs: options.lineTimeoutMs });
      if (r.code !== 0) fail(`given \`${given}\` exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
    }
    let blockOut = "";
    for (const line of commandLines(block)) {
      let text: string;
      try {
        text = substitute(line.text, fills, (f) => f.value(ctx));
      } catch (err) {
        fail(`line ${line.n} \`${line.text}\`: cannot fill in its placeholders: ${(err as Error).message}`);
        continue;
      }
      const r = await terminal.run(text, {
        ...(block.marker.bound !== undefined && { boundMs: block.marker.bound * 1000 }),
        timeoutMs: options.lineTimeoutMs,
        keepJobs: /&\s*(#.*)?$/.test(line.text) && !/&&\s*(#.*)?$/.test(line.text),
      });
      printed.push(r.stdout, r.stderr);
      blockOut += r.stdout + r.stderr;
      const problem = judge(line, text, r, block.marker.fails ?? []);
      if (problem) fail(problem);
      if (line.shown) {
        const missingLine = findShown(line.shown, r.stdout + r.stderr, fills, ctx);
        if (missingLine !== undefined) fail(`line ${line.n} \`${text}\`: the page shows "${missingLine}", it printed:\n${indent(r.stdout + r.stderr)}`);
      }
    }
    if (shownOutput) {
      const missingLine = findShown(shownOutput, blockOut, fills, ctx);
      if (missingLine !== undefined) fail(`the page shows "${missingLine}" as its output; it printed:\n${indent(blockOut)}`);
    }
  }

  try {
    await Promise.all(tasks);
  } finally {
    for (const terminal of shells.values()) await terminal.close();
    await stopAll(root);
  }
  return results;
}

/** What is wrong with how a line ended, if anything. */
function judge(line: CommandLine, text: string, r: LineResult, fails: number[]): string | undefined {
  const where = `line ${line.n} \`${text}\``;
  const said = () => indent((r.stderr + r.stdout).trim() || "(nothing)");
  if (r.timedOut) return `${where} did not finish in time (stopped); it printed:\n${said()}`;
  if (r.interrupted) return undefined;
  if (fails.includes(line.n)) return r.code === 0 ? `${where} should fail (the page says so) but exited 0:\n${said()}` : undefined;
  return r.code === 0 ? undefined : `${where} exited ${r.code}:\n${said()}`;
}

function indent(text: string): string {
  const lines = text.trimEnd().split("\n");
  const shown = lines.length > 20 ? [...lines.slice(0, 20), `… (${lines.length - 20} more lines)`] : lines;
  return shown.map((l) => `      ${l}`).join("\n");
}

/** The reader's project: a git repository with one commit, plus the page's fixture files. */
function makeProject(cwd: string, home: string, fixtures: Fixture[]): void {
  for (const fixture of fixtures) {
    for (const [path, content] of Object.entries(fixture.files)) {
      const full = path.startsWith("~/") ? join(home, path.slice(2)) : join(cwd, path);
      mkdirSync(dirname(full), { recursive: true });
      if (typeof content === "function") content(full);
      else writeFileSync(full, content);
    }
  }
  const git = (...args: string[]) => {
    const r = Bun.spawnSync(["git", "-c", "user.name=Reader", "-c", "user.email=reader@example.invalid", ...args], { cwd, env: { PATH: process.env.PATH ?? "", HOME: home } });
    if (r.exitCode !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr.toString()}`);
  };
  if (!existsSync(join(cwd, ".git"))) {
    writeFileSync(join(cwd, ".gitignore"), "dist\n");
    git("init", "-q");
    git("add", "-A");
    git("commit", "-q", "-m", "the reader's project");
  }
}
