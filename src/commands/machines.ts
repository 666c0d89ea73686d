/** `ipc machines`: the machines joined to this broker (owner only). */
import { defineCommand } from "citty";
import { brokerArgs, configFrom } from "../cli/args.ts";
import { emit, palette } from "../cli/output.ts";
import { connectBroker } from "../client/connect.ts";

export default defineCommand({
  meta: { name: "machines", description: "List the machines joined to this broker: name, address, last seen, state" },
  args: { home: brokerArgs.home, host: brokerArgs.host, port: brokerArgs.port, json: brokerArgs.json },
  async run({ args }) {
    const config = configFrom({ ...args, spawn: false });
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
