/** `ipc join LINK`: pair this machine (this IPC_HOME) with a remote broker; every ipc client here then uses it. */
import { hostname } from "node:os";
import { defineCommand } from "citty";
import { brokerArgs, configFrom } from "../cli/args.ts";
import { emit, palette } from "../cli/output.ts";
import { BrokerClient, describeEndpoint } from "../client/broker-client.ts";
import { connectBroker } from "../client/connect.ts";
import { newNonce } from "../protocol/auth.ts";
import { IpcError } from "../protocol/errors.ts";
import { normalizeName } from "../protocol/names.ts";
import { readJoined, removeJoined, writeJoined } from "../remote/joined.ts";
import { parseLink } from "../remote/link.ts";
import type { Config } from "../config.ts";
import { newMachineKey } from "../remote/machine-key.ts";

/** This host's name as a machine name: letters, digits, - and _, at most 32. */
function defaultMachineName(): string {
  const base = hostname().split(".")[0]!.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 32);
  return normalizeName(base) ?? "machine";
}

export default defineCommand({
  meta: { name: "join", description: "Pair this machine with a remote broker using the line `ipc invite` printed there" },
  args: {
    link: { type: "positional", required: true, description: "'ipc+tls://HOST:PORT#fp=SHA256:…&code=…' from ipc invite, in quotes (a shell cuts an unquoted link at &)" },
    name: { type: "string", description: "ask for this machine name (default: this host's name; ipc invite --name wins)", valueHint: "name" },
    force: { type: "boolean", description: "join even though this IPC_HOME's local broker has agents (they would use the remote broker from then on)" },
    home: brokerArgs.home,
    json: brokerArgs.json,
  },
  async run({ args }) {
    const config = configFrom({ ...args, spawn: false });
    const link = parseLink(args.link);
    const already = readJoined(config);
    if (already !== null) {
      throw new IpcError("CONFLICT", `this IPC_HOME (${config.home}) has joined ${already.host}:${already.port} as ${already.machine} already: run ipc leave first`, 2);
    }
    const wanted = args.name === undefined ? defaultMachineName() : normalizeName(args.name);
    if (wanted === null) throw new IpcError("INVALID_NAME", `"${args.name}" is not a machine name: 1–32 letters, digits, - or _`, 2);
    // Before the code is used: a local broker with agents here would be left behind by every client of this IPC_HOME.
    if (args.force !== true) await confirmLeavingLocalAgents(config);
    const endpoint = { kind: "tls" as const, host: link.host, port: link.port, fingerprint: link.fingerprint };
    const key = newMachineKey();
    const client = await BrokerClient.connect(endpoint, 10_000);
    let machine: string;
    try {
      await client.request("hello", { nonce: newNonce() }, 10_000);
      machine = (await joinWaiting(client, { code: link.code, machine: wanted, public_key: key.publicKey })).machine;
    } finally {
      client.close();
    }
    writeJoined(config, { host: link.host, port: link.port, fingerprint: link.fingerprint, machine, private_key: key.privateKey, joined_at: new Date().toISOString() });
    // Prove the new credential once, as every later client will.
    try {
      (await connectBroker(config, false)).client.close();
    } catch (err) {
      removeJoined(config);
      throw err;
    }
    const p = palette(config.color);
    emit(
      config,
      () =>
        `${p.green("✔")} Joined ${describeEndpoint(endpoint)} as machine ${p.bold(machine)}; every ipc client with IPC_HOME=${config.home} now uses that broker (ipc leave undoes it).`,
      { ok: true, machine, host: link.host, port: link.port, fingerprint: link.fingerprint },
    );
  },
});

/** Most time `ipc join` waits out the broker's pairing budget (ms) before it gives up. */
const JOIN_WAIT_MS = 60_000;

/** `join`, waiting (bounded) as long as a broker busy with other pairing attempts says (RATE_LIMITED, retry_after_ms). */
async function joinWaiting(client: BrokerClient, params: { code: string; machine: string; public_key: string }) {
  const deadline = performance.now() + JOIN_WAIT_MS;
  for (;;) {
    try {
      return await client.request("join", params, 10_000);
    } catch (err) {
      const wait = err instanceof IpcError && err.code === "RATE_LIMITED" ? (err.retryAfterMs ?? 1_000) : null;
      if (wait === null || performance.now() + wait > deadline) throw err;
      await Bun.sleep(wait);
    }
  }
}

/**
 * When this IPC_HOME's local broker answers and has registered names, says
 * which (how many, who is online) and that every ipc client here — theirs
 * too — would use the remote broker after the join; asks on a terminal, and
 * refuses otherwise (no terminal to ask: CI, a script), naming --force.
 * @throws IpcError CONFLICT (exit 1) unless the person says yes.
 */
async function confirmLeavingLocalAgents(config: Config): Promise<void> {
  let names: { name: string; online: boolean }[];
  let total: number;
  let pid: number;
  try {
    const { client } = await connectBroker(config, false);
    try {
      const page = await client.request("list", { limit: 1000 });
      pid = (await client.request("status", {})).pid;
      names = page.instances;
      total = page.total ?? page.instances.length + (page.more ?? 0);
    } finally {
      client.close();
    }
  } catch {
    return; // no local broker of this IPC_HOME answers: nothing is left behind
  }
  if (total === 0) return;
  const online = names.filter((n) => n.online).length;
  const shown = names.slice(0, 10).map((n) => `${n.name}${n.online ? " (online)" : ""}`);
  const more = total > shown.length ? `, and ${total - shown.length} more` : "";
  const what =
    `this IPC_HOME (${config.home}) has a local broker (pid ${pid}) with ${total} agent${total === 1 ? "" : "s"}, ${online} online: ${shown.join(", ")}${more}. ` +
    "After ipc join every ipc client of this IPC_HOME — theirs too — uses the remote broker: their next sends go there, and their names and mail stay on the local one";
  const fix = "run ipc join again with --force, or join from another IPC_HOME (IPC_HOME=~/.ipc-remote ipc join '…')";
  if (process.stdin.isTTY === true && process.stderr.isTTY === true) {
    const { createInterface } = await import("node:readline/promises");
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(`${what}.\nJoin anyway? [y/N] `).finally(() => rl.close());
    if (/^y(es)?$/i.test(answer.trim())) return;
    throw new IpcError("CONFLICT", `not joined: ${fix}`);
  }
  throw new IpcError("CONFLICT", `not joined: ${what}. To join anyway, ${fix}`);
}
