/**
 * A joined machine for the TLS figures (issue 13): `ipc invite --json` on the
 * broker's machine, `ipc join LINK` into a fresh IPC_HOME (whose own port
 * has no broker), then the bench's raw clients authenticate on the TLS port
 * with that home's remote.json (bench/lib/auth.ts).
 */
import { readJoined } from "../../src/remote/joined.ts";
import { noteMachine } from "./auth.ts";
import { type BenchBroker, benchEnv, freePort, ipcCommand, tempHome, waitForPort } from "./procs.ts";

async function run(args: string[], env: Record<string, string>): Promise<string> {
  const p = Bun.spawn([...ipcCommand().cmd, ...args], { env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`ipc ${args[0]} exited ${code}: ${err.trim()}`);
  return out;
}

/** Pairs a new machine with broker `b`, whose TLS listener is on 127.0.0.1:`tlsPort`, and notes it for the bench's clients. */
export async function joinMachine(b: BenchBroker, tlsPort: number): Promise<void> {
  // The TLS listener opens after the local one (a fresh home makes its certificate first).
  await waitForPort(tlsPort);
  const { link } = JSON.parse(await run(["invite", "--json", "--name", "bench"], b.env)) as { link: string };
  const home = tempHome();
  await run(["join", link], benchEnv(home, freePort()));
  const joined = readJoined({ home });
  if (joined === null) throw new Error(`ipc join wrote no remote.json in ${home}`);
  noteMachine(tlsPort, joined);
}
