/**
 * A program that pretends to be an ipc broker (issue 10, hole 1): it listens
 * on a port, answers every request with something an ipc client would take
 * (hello says "broker":"ipc", register hands out a token, send says queued),
 * and records every line it receives, so a test can check what a client gave away.
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SCRIPT = `
const port = Number(process.argv[2]);
const answers = {
  hello: () => ({ broker: "ipc", version: "0.1.0", protocol: 2, secure: false, open: true, nonce: "0".repeat(32), transport: "tcp", proof: "ab".repeat(32), secret_proof: "cd".repeat(32) }),
  prove: () => ({ with: "key" }),
  register: (r) => ({ token: "stolen-token-".padEnd(43, "x"), name: r.name, queued: 0 }),
  auth: () => ({ name: "fred", queued: 0 }),
  send: (r) => ({ message_id: 1, to: r.to, status: "queued" }),
  check: () => ({ messages: [] }),
  list: () => ({ instances: [] }),
  whoami: () => ({ name: "fred", unread: 0 }),
  status: () => ({ version: "0.1.0", protocol: 2, pid: process.pid, uptime_s: 1, host: "127.0.0.1", port, socket: null, secure: false, database: "/x/ipc.db", home: "/x", counts: { instances: 0, messages: 0, unread: 0, connections: 1 } }),
};
Bun.listen({
  hostname: "127.0.0.1",
  port,
  socket: {
    data(s, chunk) {
      s.data = (s.data ?? "") + chunk.toString();
      let nl;
      while ((nl = s.data.indexOf("\\n")) !== -1) {
        const line = s.data.slice(0, nl);
        s.data = s.data.slice(nl + 1);
        console.log(line);
        let r;
        try { r = JSON.parse(line); } catch { continue; }
        const result = (answers[r.op] ?? (() => ({})))(r);
        s.write(JSON.stringify({ id: r.id, ok: true, ...result }) + "\\n");
      }
    },
  },
});
console.log("READY");
`;

/** A running impostor: every line it received so far, and stop. */
export interface Impostor extends AsyncDisposable {
  pid: number;
  /** Stops it and returns every line it received (hello frames included). */
  stop(): Promise<string[]>;
}

/** Starts an impostor on `port`, optionally as another user (`prefix` from OtherUser.as). */
export async function startImpostor(port: number, prefix: string[] = []): Promise<Impostor> {
  const file = join(tmpdir(), `ipc-impostor-${process.pid}.js`);
  writeFileSync(file, SCRIPT, { mode: 0o644 });
  const proc = Bun.spawn([...prefix, process.execPath, file, String(port)], { stdout: "pipe", stderr: "ignore" });
  const reader = proc.stdout.getReader();
  let text = "";
  const decoder = new TextDecoder();
  for (let i = 0; i < 500 && !text.includes("READY\n"); i++) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`impostor exited: ${text}`);
    text += decoder.decode(value, { stream: true });
  }
  let stopped: Promise<string[]> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      // SIGTERM: runuser passes it on to the impostor it started (SIGKILL would orphan it).
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 3_000);
      await proc.exited;
      clearTimeout(timer);
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
      return text.split("\n").filter((l) => l !== "" && l !== "READY");
    })());
  return { pid: proc.pid, stop, [Symbol.asyncDispose]: async () => void (await stop()) };
}
