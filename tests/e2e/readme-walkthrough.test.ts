/**
 * The README's "60-second walkthrough", run as written with the compiled
 * binary: its shell blocks are taken from the README (so they cannot drift)
 * and run by bash — Terminal 1 (Fred) and Terminal 2 (Barney) at once, then
 * Fred's answer in Terminal 1's environment.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { compiledBinary } from "../helpers/binary.ts";
import { ipc, ipcEnv } from "../helpers/processes.ts";

const ROOT = resolve(import.meta.dir, "../..");
const README = readFileSync(join(ROOT, "README.md"), "utf8");

/** The ```sh blocks of the walkthrough, in order. */
function walkthroughBlocks(): string[] {
  const start = README.indexOf("## 60-second walkthrough\n");
  const end = README.indexOf("\n## ", start + 1);
  const text = README.slice(start, end);
  return [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

test("README walkthrough: two identities, register, send, check --wait, reply", async () => {
  const [build, fred, barney, answer, ...more] = walkthroughBlocks();
  expect(more).toEqual([]);
  expect(build).toContain("npm run build");
  expect(fred).toContain("export IPC_NAME=fred");
  expect(barney).toContain("export IPC_NAME=barney");
  expect(answer).toContain("ipc send barney");

  await compiledBinary(); // what `npm install && npm run build` makes; the rest of the block (PATH) runs as written
  const setup = build!.split("\n").filter((l) => !l.startsWith("npm ")).join("\n");
  const e = ipcEnv({ HOME: mkdtempSync(join(tmpdir(), "ipc-walk-home-")) });
  const terminal = (script: string) =>
    Bun.spawn(["bash", "-euo", "pipefail", "-c", `${setup}\n${script}`], { cwd: ROOT, env: e.env, stdout: "pipe", stderr: "pipe" });
  const output = async (p: Bun.Subprocess<"ignore", "pipe", "pipe">) => {
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    return { out, err, code };
  };

  try {
    const t1 = terminal(fred!);
    const t2 = terminal(barney!);
    const one = await output(t1);
    expect(one.code).toBe(0);
    expect(one.out).toContain("barney");
    expect(one.out).toContain("Hi Fred, lunch at noon?");

    // Fred answers in Terminal 1 (its environment: the block's own exports).
    const exports = fred!.split("\n").filter((l) => l.startsWith("export ")).join("\n");
    const three = await output(terminal(`${exports}\n${answer}`));
    expect(three.code).toBe(0);
    const two = await output(t2);
    expect(two.code).toBe(0);
    expect(two.out).toContain("Sure, see you at noon");
  } finally {
    await ipc({ ...e, cmd: [join(ROOT, "dist", "ipc")] }, ["stop"]);
  }
}, 60_000);
