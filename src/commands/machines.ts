/**
 * `ipc machines`: the machines joined to this broker; `ipc machines give NAME
 * MACHINE`: hand an agent name of this broker to a joined machine (owner only:
 * docs/remote.md#names-and-machines).
 */
import { defineCommand } from "citty";
import { brokerArgs, configFrom } from "../cli/args.ts";
import { emit, palette } from "../cli/output.ts";
import { usageError } from "../cli/errors.ts";
import { connectBroker } from "../client/connect.ts";
import { normalizeName } from "../protocol/names.ts";

export default defineCommand({
  meta: { name: "machines", description: "List the machines joined to this broker; `ipc machines give NAME MACHINE` lets a machine register an agent name of this broker" },
  args: {
    action: { type: "positional", required: false, description: "give: hand agent name NAME (its history too) to joined machine MACHINE" },
    name: { type: "positional", required: false, description: "with give: the agent name" },
    machine: { type: "positional", required: false, description: "with give: the joined machine" },
    home: brokerArgs.home,
    host: brokerArgs.host,
    port: brokerArgs.port,
    json: brokerArgs.json,
  },
  async run({ args }) {
    const config = configFrom({ ...args, spawn: false });
    if (args.action !== undefined) return give(config, args.action, args.name, args.machine);
    const { client } = await connectBroker(config, false);
    const { machines } = await client.request("machines", {}).finally(() => client.close());
    const p = palette(config.color);
    emit(
      config,
      () => {
        if (machines.length === 0) return p.dim("No machine has joined: ipc invite prints the line to run on one");
        const w = Math.max(4, ...machines.map((m) => m.name.length));
        return machines
          .map((m) => {
            const state = m.revoked_at !== null ? p.red(`revoked ${m.revoked_at}`) : m.connections > 0 ? p.green(`● ${m.connections} connection${m.connections === 1 ? "" : "s"}`) : p.dim("○ offline");
            return `${m.name.padEnd(w)}  ${(m.last_address ?? "–").padEnd(15)}  last seen ${m.last_seen ?? "never"}  ${state}`;
          })
          .join("\n");
      },
      { ok: true, machines },
    );
  },
});

/** `ipc machines give NAME MACHINE`. */
async function give(config: ReturnType<typeof configFrom>, action: string, rawName: string | undefined, rawMachine: string | undefined): Promise<void> {
  if (action !== "give") throw usageError(`unknown action "${action}": ipc machines lists, ipc machines give NAME MACHINE hands a name over`);
  const name = rawName === undefined ? null : normalizeName(rawName);
  const machine = rawMachine === undefined ? null : normalizeName(rawMachine);
  if (name === null || machine === null) throw usageError("ipc machines give needs an agent name and a machine: ipc machines give NAME MACHINE");
  const { client } = await connectBroker(config, false);
  const r = await client.request("give", { name, machine }).finally(() => client.close());
  emit(
    config,
    () => `${palette(config.color).green("✔")} ${r.name} is machine ${r.machine}'s now: it may register it (with --takeover while a session here holds it), history included`,
    { ok: true, ...r },
  );
}
