/** `ipc status`: facts about the running broker. Never starts one. */
import { defineCommand } from "citty";
import { brokerArgs, configFrom } from "../cli/args.ts";
import { emit, palette, plural } from "../cli/output.ts";
import { connectBroker } from "../client/connect.ts";

export default defineCommand({
  meta: { name: "status", description: "Show the running broker: pid, version, uptime, address, security mode, counts" },
  args: { home: brokerArgs.home, host: brokerArgs.host, port: brokerArgs.port, json: brokerArgs.json },
  async run({ args }) {
    const config = configFrom(args);
    const { client } = await connectBroker(config, false);
    const s = await client.request("status", {});
    client.close();
    const p = palette(config.color);
    emit(
      config,
      () =>
        [
          `${p.green("●")} ipc broker ${s.version} (protocol ${s.protocol}), pid ${s.pid}, up ${uptime(s.uptime_s)}`,
          `  address   ${[s.port ? `${s.host}:${s.port}` : null, s.socket].filter(Boolean).join(" and ")}`,
          `  security  ${s.secure ? "shared secret required" : "open mode (no shared secret)"}`,
          `  database  ${s.database}`,
          `  counts    ${plural(s.counts.instances, "instance")}, ${plural(s.counts.messages, "message")} (${s.counts.unread} unread), ${plural(s.counts.connections, "connection")}`,
        ].join("\n"),
      s,
    );
  },
});

function uptime(s: number): string {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}
