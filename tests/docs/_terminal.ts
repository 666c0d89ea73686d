/**
 * A reader's terminal for tests/docs/run-blocks.test.ts: one long-lived bash
 * that runs command lines one at a time in the same shell, so `export`, `cd`
 * and "the name last registered from this shell" carry from one line (and
 * block) to the next. Each line's stdout and stderr go to files (a `cmd &`
 * left running never holds a pipe open), its stdin is /dev/null. Jobs a line
 * starts in the background are waited for unless the caller says to keep them.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { childrenOf } from "./_processes.ts";

/** What one command line did. `interrupted`: stopped with SIGINT at its bound. */
export interface LineResult {
  code: number;
  stdout: string;
  stderr: string;
  interrupted: boolean;
  timedOut: boolean;
}

/** One bash process; `run` lines in order (never two at once). */
export class Terminal {
  readonly proc: Bun.Subprocess<"pipe", "pipe", "pipe">;
  private count = 0;
  private buffered = "";
  private waiting = new Map<number, (code: number) => void>();
  private reader: Promise<void>;

  /** `dir`: a folder of this terminal's own for line files; `env`, `cwd`: the shell's start. */
  constructor(
    readonly name: string,
    private readonly dir: string,
    env: Record<string, string>,
    cwd: string,
  ) {
    this.proc = Bun.spawn(["bash", "--noprofile", "--norc"], { env, cwd, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    this.reader = this.read();
  }

  private async read(): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of this.proc.stdout) {
      this.buffered += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = this.buffered.indexOf("\n")) !== -1) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        const m = /^@@docs-test-done (\d+) (\d+)$/.exec(line);
        if (m) this.waiting.get(Number(m[1]))?.(Number(m[2]));
      }
    }
    for (const resolve of this.waiting.values()) resolve(-1);
  }

  /** The shell's pid: the "this shell" of `ipc register`. */
  get pid(): number {
    return this.proc.pid;
  }

  /**
   * Runs `line` in the shell. `boundMs`: stop it with SIGINT (Ctrl-C) after
   * that long and call that success; `timeoutMs`: stop it with SIGINT and call
   * it a failure (timedOut).
   */
  async run(line: string, opts: { boundMs?: number; timeoutMs: number; keepJobs?: boolean }): Promise<LineResult> {
    const id = ++this.count;
    const file = (ext: string) => join(this.dir, `${id}.${ext}`);
    writeFileSync(file("cmd"), line);
    const before = new Set(childrenOf(this.pid));
    const done = new Promise<number>((resolve) => this.waiting.set(id, resolve));
    // Jobs the line put in the background are waited for, and their failure is the line's, unless the
    // page meant to leave them running (keepJobs): a pasted line split at an unquoted `&` does not pass.
    const waitJobs = opts.keepJobs
      ? ""
      : `for __p in $(jobs -p); do case "$__before" in *" $__p "*) ;; *) wait "$__p" || __rc=$?;; esac; done; `;
    this.proc.stdin.write(
      `__before=" $(jobs -p | tr '\\n' ' ') "; { eval "$(<'${file("cmd")}')"; } </dev/null >'${file("out")}' 2>'${file("err")}'; __rc=$?; ` +
        `${waitJobs}echo "@@docs-test-done ${id} $__rc"\n`,
    );
    this.proc.stdin.flush();
    let stopped: "bound" | "timeout" | undefined;
    const limit = opts.boundMs ?? opts.timeoutMs;
    const timer = setTimeout(() => {
      stopped = opts.boundMs !== undefined ? "bound" : "timeout";
      for (const pid of childrenOf(this.pid)) if (!before.has(pid)) tryKill(pid, "SIGINT");
      // What ignores Ctrl-C is killed a little later.
      setTimeout(() => {
        for (const pid of childrenOf(this.pid)) if (!before.has(pid)) tryKill(pid, "SIGKILL");
      }, 3_000).unref();
    }, limit);
    const code = await done;
    clearTimeout(timer);
    this.waiting.delete(id);
    const read = (ext: string) => {
      try {
        return readFileSync(file(ext), "utf8");
      } catch {
        return "";
      }
    };
    return { code, stdout: read("out"), stderr: read("err"), interrupted: stopped === "bound", timedOut: stopped === "timeout" };
  }

  /** Writes the shell's exported variables and working directory to `file` as a script another bash can source. */
  async snapshot(file: string): Promise<void> {
    const r = await this.run(`{ export -p; printf 'cd %q\\n' "$PWD"; } > '${file}'`, { timeoutMs: 5_000 });
    if (r.code !== 0) throw new Error(`terminal ${this.name}: snapshot failed: ${r.stderr}`);
  }

  /** Ends the shell (its stdin closes); what it left running is the caller's to stop. */
  async close(): Promise<void> {
    this.proc.stdin.end();
    const exited = await Promise.race([this.proc.exited, Bun.sleep(2_000).then(() => null)]);
    if (exited === null) this.proc.kill("SIGKILL");
    await this.reader.catch(() => {});
  }
}

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
