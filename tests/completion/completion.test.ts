/**
 * `ipc completion bash|zsh|fish`: the scripts parse in their shells, and
 * bash's (and fish's, when installed) completes commands, nested commands,
 * flags and enum values taken from the citty command tree.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HOSTS } from "../../src/setup/hosts.ts";
import { ipc, ipcEnv } from "../helpers/processes.ts";

const dir = mkdtempSync(join(tmpdir(), "ipc-completion-"));
const scripts: Record<string, string> = {};

beforeAll(async () => {
  const e = ipcEnv();
  for (const shell of ["bash", "zsh", "fish"]) {
    const r = await ipc(e, ["completion", shell]);
    expect(r.code).toBe(0);
    scripts[shell] = join(dir, `ipc.${shell}`);
    writeFileSync(scripts[shell]!, r.stdout);
  }
});

async function sh(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out, err };
}

/** What bash completes for the command line `line` (the cursor at its end). */
async function bashComplete(line: string): Promise<string[]> {
  const words = line.split(" ");
  const script = `source ${scripts.bash}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")})\nCOMP_CWORD=${words.length - 1}\n_ipc\nprintf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = await sh(["bash", "-c", script]);
  expect(r.err).toBe("");
  return r.out.split("\n").filter((l) => l !== "");
}

describe("ipc completion", () => {
  test("bash: the script parses and completes from the command tree", async () => {
    expect((await sh(["bash", "-n", scripts.bash!])).code).toBe(0);
    expect(await bashComplete("ipc se")).toEqual(["serve", "send", "search", "setup"]);
    expect(await bashComplete("ipc setup ")).toEqual(HOSTS.map((h) => h.id));
    expect(await bashComplete("ipc setup cursor --sc")).toEqual(["--scope"]);
    expect((await bashComplete("ipc setup cursor --scope ")).sort()).toEqual(["project", "user"]);
    expect(await bashComplete("ipc --as")).toEqual([]);
    expect(await bashComplete("ipc check --wa")).toEqual(["--wait"]);
    expect(await bashComplete("ipc send --no-")).toEqual(["--no-spawn"]);
    expect(await bashComplete("ipc completion ")).toEqual(["bash", "zsh", "fish"]);
    // a flag's value is skipped, not taken for a command
    expect(await bashComplete("ipc doctor --port 9 --j")).toEqual(["--json"]);
  });

  test.skipIf(Bun.which("zsh") === null)("zsh: the script parses and loads", async () => {
    expect((await sh(["zsh", "-n", scripts.zsh!])).code).toBe(0);
    const r = await sh(["zsh", "-c", `autoload -U compinit && compinit -u -D && source ${scripts.zsh} && print -r -- $_comps[ipc]`]);
    expect(r.out.trim()).toBe("_ipc");
  });

  test.skipIf(Bun.which("fish") === null)("fish: the script parses and completes", async () => {
    expect((await sh(["fish", "-n", scripts.fish!])).code).toBe(0);
    const complete = async (line: string) =>
      (await sh(["fish", "-c", `source ${scripts.fish}; complete -C '${line}'`])).out.split("\n").filter((l) => l !== "").map((l) => l.split("\t")[0]);
    expect(await complete("ipc setup ")).toEqual(expect.arrayContaining(HOSTS.map((h) => h.id)));
    expect((await complete("ipc setup cursor --scope ")).sort()).toEqual(["project", "user"]);
    expect(await complete("ipc check --wa")).toEqual(["--wait"]);
  });
});
