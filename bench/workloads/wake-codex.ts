/**
 * Wake latency with the pinned Codex, idle in tmux against a stand-in
 * Responses API, set up with `ipc setup codex --write --hooks` and its hook
 * review answered. `wake.codex`: from a send leaving the sender (a raw
 * broker connection; it is answered `delivered` once the waiter's `codex
 * queue` succeeded) to the stand-in receiving the woken turn's request, with
 * Codex's shared background server
 * (`features.daemon_auto_start`, Codex 0.171's default); `wake.codex.process`
 * the same with each session in its own process (`daemon_auto_start =
 * false`). Each wake is split into stages, from the waiter's log line
 * ("handed #… to Codex (codex queue N ms)", stamped with the wall clock):
 * `.push` (ours: the send → the waiter starting `codex queue`),
 * `.cli` (that `codex queue` run: process start, config, the write into
 * Codex's state database) and `.pickup` (`codex queue` exited → the woken
 * request: Codex noticing the queued message, running the turn's
 * UserPromptSubmit hook, sending the request). `.bare_pickup` is the pickup
 * of a `codex queue` run by hand, with no waiter at work (so no turn hook
 * waits for a hand-over). All times are wall-clock (Date.now()).
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sessionNames, until } from "../../tests/helpers/claude-code.ts";
import { CODEX_BIN, codexEnv, codexHome, codexSkipReason, codexVersion, projectDir, startCodex, stopDaemon } from "../../tests/helpers/codex.ts";
import { type ResponsesApi, startResponsesApi } from "../../tests/helpers/responses-api.ts";
import { Lines } from "../lib/lines.ts";
import { ipcCommand, startBroker, tempHome } from "../lib/procs.ts";
import { percentile } from "../lib/stats.ts";
import type { Measurements } from "./types.ts";

async function run(cmd: string[], env: Record<string, string>): Promise<void> {
  const p = Bun.spawn(cmd, { env, stdout: "ignore", stderr: "pipe" });
  if ((await p.exited) !== 0) throw new Error(`${cmd.join(" ")} failed: ${await new Response(p.stderr).text()}`);
}

/** The last user message of a Responses API request. */
function lastUserText(body: any): string {
  const input = Array.isArray(body?.input) ? (body.input as any[]) : [];
  const last = input.filter((i) => i?.type === "message" && i?.role === "user").at(-1);
  return (Array.isArray(last?.content) ? last.content : []).map((c: any) => String(c?.text ?? "")).join("\n");
}

/** The thread id of the one Codex session in Codex HOME `home` (its rollout file's name). */
function threadOf(home: string): string | null {
  const walk = (dir: string): string[] => {
    try {
      return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(join(dir, d.name)) : [d.name]));
    } catch {
      return [];
    }
  };
  const ids = walk(join(home, ".codex", "sessions")).flatMap((f) => /([0-9a-f]{8}-[0-9a-f-]{27})\.jsonl$/.exec(f)?.[1] ?? []);
  return ids.length === 1 ? ids[0]! : null;
}

/**
 * Our own part with Codex, `wake.codex.ours`: a send leaving the sender → the
 * waiter starting `codex queue` (a stand-in `codex` on PATH that notes the
 * time it started and succeeds), `samples` times, against the broker at `port`.
 */
export async function wakeCodexOurs(port: number, env: Record<string, string>, samples: number): Promise<Measurements> {
  const ipc = ipcCommand().cmd;
  await run([...ipc, "register", "woken-codex"], env);
  const dir = mkdtempSync(join(tmpdir(), "ipc-bench-codex-"));
  const stamps = join(dir, "stamps");
  // Stamps only the hand-overs (`codex queue --thread …`), not the waiter's start-up `codex queue --help`.
  writeFileSync(join(dir, "codex"), `#!/bin/sh\n[ "$2" = "--thread" ] && date +%s%N >> ${stamps}\nexit 0\n`);
  chmodSync(join(dir, "codex"), 0o755);
  const host = Bun.spawn(["sleep", "600"], { stdio: ["ignore", "ignore", "ignore"] });
  const waiter = Bun.spawn([...ipc, "hook", "codex", "--wake", "--thread", "bench-thread", "--pid", String(host.pid), "--as", "woken-codex", "--max-wakes", String(samples + 10)], {
    env: { ...env, PATH: `${dir}:${env.PATH ?? "/usr/bin:/bin"}` },
    stdio: ["ignore", "ignore", "ignore"],
  });
  const sender = await Lines.open(port);
  const count = () => (existsSync(stamps) ? readFileSync(stamps, "utf8").trim().split("\n").length : 0);
  const times: number[] = [];
  try {
    await sender.call({ id: 0, op: "register", name: "waker-codex" });
    await Bun.sleep(1_000); // the waiter finds its name and holds its check
    for (let i = 0; i < samples + 1; i++) {
      // `date +%s%N` is the wall clock: so is Date.now() (performance.timeOrigin + now() drifts from it).
      const t0 = Date.now();
      await sender.call({ id: i + 1, op: "send", to: "woken-codex", content: `wake ${i}` });
      await until(() => count() === i + 1, 10_000, "codex queue");
      const started = Number(readFileSync(stamps, "utf8").trim().split("\n")[i]) / 1e6;
      if (i >= 1) times.push(started - t0);
      await Bun.sleep(200); // it marks the mail read, then holds again
    }
  } finally {
    sender.close();
    waiter.kill();
    host.kill();
  }
  return { "wake.codex.ours.p50": percentile(times, 50), "wake.codex.ours.max": Math.max(...times) };
}

/** The --thread of the wake waiter running for IPC_HOME `ipcHome` (/proc), or null. */
function waiterThread(ipcHome: string): string | null {
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      const at = args.indexOf("--thread");
      if (args.includes("--wake") && args.includes(ipcHome) && at !== -1) return args[at + 1] ?? null;
    } catch {}
  }
  return null;
}

/** `samples` wakes of an idle Codex through `ipc send`, and as many bare `codex queue` runs; null (saying why) when Codex or tmux is missing. */
export async function wakeCodex(samples: number, log: (s: string) => void, opts: { daemon?: boolean } = {}): Promise<Measurements | null> {
  const skip = codexSkipReason();
  if (skip !== null) {
    log(`skipping wake.codex: ${skip}`);
    return null;
  }
  const broker = await startBroker(tempHome());
  try {
    return await codexRuns(broker.env, broker.port, samples, log, opts.daemon === true);
  } catch (err) {
    log(`wake.codex failed: ${(err as Error).message}`);
    return null;
  } finally {
    await broker.stop();
  }
}

async function codexRuns(env: Record<string, string>, port: number, samples: number, log: (s: string) => void, daemon: boolean): Promise<Measurements> {
  const ipc = ipcCommand().cmd;
  await run([...ipc, "register", "bench-sender"], env);
  await using api = startResponsesApi();
  const project = projectDir();
  const home = codexHome(api.url, [project], { daemon });
  try {
    return await measure(env, port, samples, log, api, project, home, daemon);
  } finally {
    if (daemon) stopDaemon(home);
  }
}

async function measure(env: Record<string, string>, port: number, samples: number, log: (s: string) => void, api: ResponsesApi, project: string, home: string, daemon: boolean): Promise<Measurements> {
  const ipc = ipcCommand().cmd;
  await run([...ipc, "setup", "codex", "--write", "--hooks", "--name", "bench-codex"], { ...env, HOME: home });
  await using codex = startCodex({ home, project });
  await codex.trustHooks(60_000);
  await codex.ready(60_000);
  let name: string | undefined;
  await until(() => (name = sessionNames(env.IPC_HOME!).find((n) => n.startsWith("bench-codex"))) !== undefined, 60_000, "Codex's MCP server to register");
  // the first prompt starts the thread; its SessionStart hook arms the waiter
  await codex.type("hello");
  await until(() => api.turns().length > 0, 60_000, "the first turn");
  await until(() => readdirSync(join(env.IPC_HOME!, "wake")).some((f) => /^\d+\.json$/.test(f)), 60_000, "the wake waiter");
  // the native executable the TUI runs, which the waiter calls too (not the npm launcher, which adds a Node start)
  const child = Number(Bun.spawnSync(["pgrep", "-P", String(codex.pid())], { stdout: "pipe" }).stdout.toString().trim().split("\n")[0]);
  let native = CODEX_BIN;
  try {
    native = readlinkSync(`/proc/${child}/exe`);
  } catch {}
  const thread = threadOf(home) ?? waiterThread(env.IPC_HOME!);
  if (thread === null) throw new Error("cannot find the session's thread id");
  log(`wake.codex: Codex ${codexVersion()}, thread ${thread}`);
  /** When (wall clock, ms) the request carrying `note` reached the stand-in. */
  const wait = async (note: string): Promise<number> => {
    const r = await api.waitForTurn((t) => lastUserText(t.body).includes(note), 60_000);
    if (r === null) throw new Error(`Codex was not woken by "${note}"; screen:\n${codex.screen()}`);
    return Date.now() - (performance.now() - r.at);
  };
  const whole: number[] = [];
  const push: number[] = [];
  const cli: number[] = [];
  const pickup: number[] = [];
  const bare: number[] = [];
  const answered: number[] = [];
  const handed = () => waiterHandOvers(env.IPC_HOME!);
  // The sender talks to the broker itself: t0 is the send leaving it (no CLI start-up in the figure).
  const sender = await Lines.open(port);
  await sender.call({ id: 0, op: "register", name: "bench-sender-raw" });
  for (let i = 0; i < samples; i++) {
    await Bun.sleep(2_000); // idle: the last turn has ended
    const note = `bench wake ${i} (${crypto.randomUUID().slice(0, 8)})`;
    const before = handed().length;
    const t0 = Date.now();
    // It answers once the waiter acked (delivered: after its `codex queue` succeeded).
    const status = JSON.stringify(await sender.call({ id: i + 1, op: "send", to: name!, content: note }));
    answered.push(Date.now() - t0);
    if (!status.includes("delivered")) log(`${daemon ? "wake.codex" : "wake.codex.process"}: send ${i} answered ${status.slice(0, 200)}`);
    const at = await wait(note);
    whole.push(at - t0);
    const h = handed()[before];
    if (h !== undefined) {
      push.push(h.start - t0);
      cli.push(h.ms);
      pickup.push(at - (h.start + h.ms));
    }
    await Bun.sleep(2_000);
    const direct = `bench queue ${i} (${crypto.randomUUID().slice(0, 8)})`;
    await run([native, "queue", "--thread", thread, "--message", direct], { ...codexEnv(home) });
    const q1 = Date.now();
    bare.push((await wait(direct)) - q1);
  }
  sender.close();
  const at = daemon ? "wake.codex" : "wake.codex.process";
  const ms = (l: number[]) => `${l.map((t) => t.toFixed(0)).join(", ")} ms`;
  log(`${at}: whole ${ms(whole)} = push ${ms(push)} + codex queue ${ms(cli)} + pickup ${ms(pickup)}; the send answered (delivered) after ${ms(answered)}; pickup of a bare codex queue ${ms(bare)}`);
  const p50 = { push: percentile(push, 50), cli: percentile(cli, 50), pickup: percentile(pickup, 50) };
  const top = Object.entries(p50).sort((a, b) => b[1] - a[1])[0]!;
  log(`${at}: dominated by ${top[0]} (p50 ${top[1].toFixed(0)} of ${percentile(whole, 50).toFixed(0)} ms)`);
  return {
    [`${at}.p50`]: percentile(whole, 50),
    [`${at}.max`]: Math.max(...whole),
    [`${at}.push.p50`]: p50.push,
    [`${at}.cli.p50`]: p50.cli,
    [`${at}.pickup.p50`]: p50.pickup,
    [`${at}.bare_pickup.p50`]: percentile(bare, 50),
  };
}

/** The hand-overs the Codex waiters of IPC_HOME `ipcHome` logged, oldest first: when `codex queue` started (wall clock, ms) and how long it ran. */
function waiterHandOvers(ipcHome: string): Array<{ start: number; ms: number }> {
  const dir = join(ipcHome, "wake");
  const out: Array<{ start: number; ms: number }> = [];
  for (const f of readdirSync(dir).filter((n) => /^codex-.*\.log$/.test(n))) {
    for (const line of readFileSync(join(dir, f), "utf8").split("\n")) {
      const m = /^(\S+) ipc hook codex --wake: handed .* \(codex queue (\d+) ms\)/.exec(line);
      if (m !== null) out.push({ start: Date.parse(m[1]!), ms: Number(m[2]) });
    }
  }
  return out.sort((a, b) => a.start - b.start);
}
