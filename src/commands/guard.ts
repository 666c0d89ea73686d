/**
 * `ipc guard hook|check|install`: file claims enforced where edits happen
 * (docs/coordination.md). `hook` is the edit hook of Claude Code (PreToolUse)
 * and Gemini CLI (BeforeTool); `check` tests files (or the staged ones) for
 * claims held by others; `install` adds the git pre-commit hook. The hook
 * always exits 0 and prints nothing unless it denies (fail open).
 */
import { isatty } from "node:tty";
import { defineCommand } from "citty";
import { selfCommand } from "../client/connect.ts";
import { brokerArgs, configFrom, identityArgs } from "../cli/args.ts";
import { usageError } from "../cli/errors.ts";
import { emit, errOut, out, palette } from "../cli/output.ts";
import { blockedFiles, type GuardHost, guardHook } from "../hook/guard.ts";
import { claimRefusal, installPreCommit, stagedFiles } from "../hook/pre-commit.ts";
import { IpcError } from "../protocol/errors.ts";
import { shellLine } from "../setup/launch.ts";

/** How long to wait for the hook input on stdin (ms); hosts write it at once. */
const STDIN_WAIT_MS = 1_000;

/** stdin's text, or "" when stdin is a terminal or nothing arrives in time. */
async function readStdin(): Promise<string> {
  if (isatty(0)) return "";
  return Promise.race([Bun.stdin.text(), Bun.sleep(STDIN_WAIT_MS).then(() => "")]).catch(() => "");
}

const hook = defineCommand({
  meta: { name: "hook", description: "Edit hook for Claude Code (PreToolUse) and Gemini CLI (BeforeTool): deny edits of files others claimed" },
  args: {
    for: { type: "string", description: "output format: claude-code (default) or gemini", valueHint: "host" },
    ...identityArgs,
    ...brokerArgs,
  },
  async run({ args }) {
    const host = (args.for ?? "claude-code") as GuardHost;
    if (host !== "claude-code" && host !== "gemini") throw usageError(`--for is claude-code or gemini, got "${args.for}"`);
    try {
      const json = await guardHook(configFrom(args), host, await readStdin(), process.cwd());
      if (json !== null) out(`${json}\n`);
    } catch (err) {
      errOut(`ipc guard: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  },
});

const check = defineCommand({
  meta: { name: "check", description: "Exit 1 naming the holders when files (or the staged ones) are claimed by others" },
  args: {
    path: { type: "positional", required: false, description: "files to check (relative to here)" },
    staged: { type: "boolean", description: "the files staged for commit (the pre-commit hook)" },
    ...identityArgs,
    ...brokerArgs,
  },
  async run({ args }) {
    const config = configFrom(args);
    const typed = args._.filter((p) => p !== "");
    let cwd = process.cwd();
    let files = typed;
    if (args.staged === true) {
      const staged = stagedFiles(cwd);
      if (staged === null) return;
      cwd = staged.root;
      files = [...typed, ...staged.files];
    } else if (typed.length === 0) throw usageError("no files given: ipc guard check FILE…, or --staged");
    const blocked = files.length === 0 ? [] : await blockedFiles(config, { cwd, files });
    if (blocked.length > 0) throw new IpcError("CLAIM_CONFLICT", claimRefusal(blocked, args.staged === true));
    emit(config, () => `${palette(config.color).green("✔")} No file here is claimed by someone else`, { blocked });
  },
});

const install = defineCommand({
  meta: { name: "install", description: "Add a git pre-commit hook refusing commits that touch files others claimed" },
  args: { ...brokerArgs },
  run({ args }) {
    const config = configFrom(args);
    const file = installPreCommit(process.cwd(), shellLine(selfCommand()));
    emit(config, () => `${palette(config.color).green("✔")} Installed ${file}: commits touching files others claimed are refused (git commit --no-verify skips it)`, { file });
  },
});

export default defineCommand({
  meta: { name: "guard", description: "File claims enforced: ipc guard hook (edit hooks), check, install (git pre-commit)" },
  subCommands: { hook, check, install },
});
