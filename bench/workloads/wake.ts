/**
 * Wake latency. `wake.hook`: our own part, from a send leaving the sender to
 * the wake waiter (`ipc hook claude-code --wake`) having exited 2 with the
 * mail on stderr. `wake.claude_code`: the whole hop with the pinned Claude
 * Code, idle in tmux against a stand-in Messages API, from `ipc send`
 * returning to the stand-in receiving the woken turn's request.
 * `wake.claude_code.inbox`: the same hop when ipc mcp writes into the
 * session's own inbox socket (set up without hooks).
 */
import { armedWaiter, claudeHome, claudeSkipReason, projectDir, sessionNames, startClaude, until } from "../../tests/helpers/claude-code.ts";
import { startMessagesApi } from "../../tests/helpers/messages-api.ts";
import { Lines } from "../lib/lines.ts";
import { ipcCommand, startBroker, tempHome } from "../lib/procs.ts";
import { percentile } from "../lib/stats.ts";
import type { Measurements } from "./types.ts";

async function run(cmd: string[], env: Record<string, string>): Promise<void> {
  const p = Bun.spawn(cmd, { env, stdout: "ignore", stderr: "pipe" });
  if ((await p.exited) !== 0) throw new Error(`${cmd.join(" ")} failed: ${await new Response(p.stderr).text()}`);
}

/** Send → hook exit, `samples` times, with a raw sender connection (ms). */
export async function wakeHook(port: number, env: Record<string, string>, samples: number): Promise<Measurements> {
  const ipc = ipcCommand().cmd;
  await run([...ipc, "register", "woken"], env);
  const sender = await Lines.open(port);
  await sender.call({ id: 0, op: "register", name: "waker" });
  const times: number[] = [];
  for (let i = 0; i < samples + 1; i++) {
    const hook = Bun.spawn([...ipc, "hook", "claude-code", "--wake", "--as", "woken", "--pid", String(process.pid), "--hold", "60"], {
      env,
      stdin: new TextEncoder().encode("{}"),
      stdout: "ignore",
      stderr: "pipe",
    });
    await until(() => armedWaiter(env.IPC_HOME!) === hook.pid, 10_000, "the waiter to arm");
    await Bun.sleep(150); // it holds its check a round trip after claiming its slot
    const t0 = performance.now();
    sender.write(`{"id":${i + 1},"op":"send","to":"woken","content":"wake ${i}"}\n`);
    const code = await hook.exited;
    const t1 = performance.now();
    await sender.next();
    if (code !== 2) throw new Error(`wake hook exited ${code}: ${await new Response(hook.stderr).text()}`);
    if (i >= 1) times.push(t1 - t0);
  }
  sender.close();
  return { "wake.hook.p50": percentile(times, 50), "wake.hook.max": Math.max(...times) };
}

/**
 * `ipc send` returning → the woken Claude Code's request at the stand-in, `samples` times (ms),
 * with a broker of its own; null when Claude Code or tmux is missing, or it fails (said in `log`).
 */
export async function wakeClaudeCode(samples: number, log: (s: string) => void): Promise<Measurements | null> {
  const skip = claudeSkipReason();
  if (skip !== null) {
    log(`skipping wake.claude_code: ${skip}`);
    return null;
  }
  const broker = await startBroker(tempHome());
  try {
    return await claudeRuns(broker.env, samples, log);
  } finally {
    await broker.stop();
  }
}

async function claudeRuns(env: Record<string, string>, samples: number, log: (s: string) => void): Promise<Measurements | null> {
  const ipc = ipcCommand().cmd;
  await run([...ipc, "register", "bench-sender"], env);
  await using api = startMessagesApi();
  const project = projectDir();
  const home = claudeHome([project]);
  await run([...ipc, "setup", "claude-code", "--write", "--hooks", "--name", "bench-claude"], { ...env, HOME: home });
  // The hook's path: ipc mcp leaves Claude Code's own inbox alone (wake.claude_code.inbox measures that one).
  await using claude = startClaude({ home, project, apiUrl: api.url, env: { IPC_CLAUDE_INBOX: "off" } });
  try {
    // its name: bench-claude, or bench-claude-<project> where --name is a seat template
    let name: string | undefined;
    await until(() => armedWaiter(env.IPC_HOME!) !== null && (name = sessionNames(env.IPC_HOME!).find((n) => n.startsWith("bench-claude"))) !== undefined, 60_000, "Claude Code to start");
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      const waiter = armedWaiter(env.IPC_HOME!);
      await Bun.sleep(300);
      const turns = api.turns().length;
      const arrived = api.nextTurnAt();
      await run([...ipc, "send", name!, `wake ${i}`, "--as", "bench-sender"], env);
      const t0 = performance.now();
      const t1 = await Promise.race([arrived, Bun.sleep(30_000).then(() => Number.NaN)]);
      if (Number.isNaN(t1)) throw new Error(`Claude Code was not woken (run ${i}); screen:\n${claude.screen()}`);
      if (!api.turns()[turns]!.text.includes(`wake ${i}`)) throw new Error(`the woken request lacks "wake ${i}"`);
      // t1 may precede t0: the request can arrive while `ipc send` is still exiting.
      times.push(Math.max(0, t1 - t0));
      await until(() => armedWaiter(env.IPC_HOME!) !== null && armedWaiter(env.IPC_HOME!) !== waiter, 30_000, "the Stop hook's waiter");
    }
    return { "wake.claude_code.p50": percentile(times, 50), "wake.claude_code.max": Math.max(...times) };
  } catch (err) {
    log(`wake.claude_code failed: ${(err as Error).message}`);
    return null;
  }
}

/**
 * `ipc send` returning → the woken Claude Code's request at the stand-in, `samples` times (ms), for a
 * session set up with `ipc setup claude-code --write` only (no hooks): ipc mcp writes the mail into
 * the session's own inbox. Null when Claude Code or tmux is missing, or it fails (said in `log`).
 */
export async function wakeClaudeInbox(samples: number, log: (s: string) => void): Promise<Measurements | null> {
  const skip = claudeSkipReason();
  if (skip !== null) {
    log(`skipping wake.claude_code.inbox: ${skip}`);
    return null;
  }
  const broker = await startBroker(tempHome());
  const env = broker.env;
  try {
    const ipc = ipcCommand().cmd;
    await run([...ipc, "register", "bench-sender"], env);
    await using api = startMessagesApi();
    const project = projectDir();
    const home = claudeHome([project]);
    await run([...ipc, "setup", "claude-code", "--write", "--name", "bench-inbox"], { ...env, HOME: home });
    await using claude = startClaude({ home, project, apiUrl: api.url });
    let name: string | undefined;
    await until(() => (name = sessionNames(env.IPC_HOME!).find((n) => n.startsWith("bench-inbox"))) !== undefined, 60_000, "Claude Code to start");
    await claude.ready(60_000);
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      await Bun.sleep(1_000); // the previous woken turn is over
      const turns = api.turns().length;
      const arrived = api.nextTurnAt();
      await run([...ipc, "send", name!, `inbox wake ${i}`, "--as", "bench-sender"], env);
      const t0 = performance.now();
      const t1 = await Promise.race([arrived, Bun.sleep(30_000).then(() => Number.NaN)]);
      if (Number.isNaN(t1)) throw new Error(`Claude Code was not woken (run ${i}); screen:\n${claude.screen()}`);
      if (!api.turns()[turns]!.text.includes(`inbox wake ${i}`)) throw new Error(`the woken request lacks "inbox wake ${i}"`);
      // t1 may precede t0: `ipc send` returns once the inbox write is acked, and the request can arrive while it exits.
      times.push(Math.max(0, t1 - t0));
    }
    return { "wake.claude_code.inbox.p50": percentile(times, 50), "wake.claude_code.inbox.max": Math.max(...times) };
  } catch (err) {
    log(`wake.claude_code.inbox failed: ${(err as Error).message}`);
    return null;
  } finally {
    await broker.stop();
  }
}
