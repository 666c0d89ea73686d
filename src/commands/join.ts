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
