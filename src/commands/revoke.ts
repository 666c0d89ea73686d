/** `ipc revoke NAME`: end a joined machine's access at once (owner only). */
import { defineCommand } from "citty";
import { brokerArgs, configFrom } from "../cli/args.ts";
import { emit, palette } from "../cli/output.ts";
import { connectBroker } from "../client/connect.ts";

export default defineCommand({
  meta: { name: "revoke", description: "End a joined machine's access now: its connections close, its sessions end, its key is refused" },
  args: {
    machine: { type: "positional", required: true, description: "the machine's name (ipc machines)" },
    home: brokerArgs.home,
    host: brokerArgs.host,
    port: brokerArgs.port,
    json: brokerArgs.json,
  },
  async run({ args }) {
    const config = configFrom({ ...args, spawn: false });
    const { client } = await connectBroker(config, false);
    const r = await client.request("revoke", { machine: args.machine.toLowerCase() }).finally(() => client.close());
    const p = palette(config.color);
    emit(config, () => `${p.green("✔")} Revoked ${p.bold(r.machine)} (${r.connections_closed} connection${r.connections_closed === 1 ? "" : "s"} closed)`, { ok: true, ...r });
  },
});
