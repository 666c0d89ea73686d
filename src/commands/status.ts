/** `ipc status`: facts about the running broker. Never starts one. */
import { defineCommand } from "citty";
import { brokerArgs, configFrom } from "../cli/args.ts";
import { emit, palette, plural } from "../cli/output.ts";
import { describeEndpoint } from "../client/broker-client.ts";
import { connectBroker, endpoints } from "../client/connect.ts";
import type { StatusResult } from "../protocol/responses.ts";
import { readJoined } from "../remote/joined.ts";
import { urlHost } from "../remote/link.ts";

export default defineCommand({
  meta: { name: "status", description: "Show the running broker: pid, version, uptime, address, security mode, network listeners, cluster, counts" },
  args: { home: brokerArgs.home, host: brokerArgs.host, port: brokerArgs.port, json: brokerArgs.json },
  async run({ args }) {
    const config = configFrom(args);
    const { client } = await connectBroker(config, false);
    const joined = readJoined(config);
    const s = await client.request("status", {});
    client.close();
    const p = palette(config.color);
    emit(
      config,
      () =>
        [
          `${p.green("●")} ipc broker ${s.version} (protocol ${s.protocol}), pid ${s.pid}, up ${uptime(s.uptime_s)}`,
          `  address   ${[s.port ? `${s.host}:${s.port}` : null, s.socket].filter(Boolean).join(" and ")}`,
          `  security  ${securityLine(s, p)}`,
          ...(joined === null ? [] : [`  joined    this machine uses that broker at ${describeEndpoint(endpoints(config)[0]!)} as machine ${joined.machine} (ipc leave goes back to a local broker)`]),
          ...(s.tls === undefined ? [] : [`  network   ${s.tls.listeners.map((l) => `${urlHost(l.host)}:${l.port}`).join(", ")} (TLS, certificate ${s.tls.fingerprint}); ipc machines lists who joined`]),
          ...(s.cluster === undefined ? [] : [`  cluster   ${clusterLine(s.cluster, p)}`]),
          `  database  ${s.database}`,
          `  counts    ${plural(s.counts.instances, "instance")}, ${plural(s.counts.messages, "message")} (${s.counts.unread} unread), ${plural(s.counts.connections, "connection")}`,
        ].join("\n"),
      s,
    );
  },
});

/** The security mode in words; open mode is a warning. */
function securityLine(s: StatusResult, p: ReturnType<typeof palette>): string {
  if (s.open) {
    const what = s.secure ? "the shared secret is still needed to register" : "any local user may register any name, read its mail and send as it";
    return p.yellow(`⚠ OPEN MODE (IPC_OPEN=1): ${what}; restart without IPC_OPEN / --open to require the key`);
  }
  const secret = s.shared_secret ? "; other clients prove the shared secret" : "";
  return `authentication required: clients of this user prove the key ${s.key ?? "in IPC_HOME"}${secret}`;
}

/** Cluster membership in one line: the space, this node, the NATS server (or that it is not reached), names, outbox. */
function clusterLine(c: NonNullable<StatusResult["cluster"]>, p: ReturnType<typeof palette>): string {
  const nats = c.connected ? `on NATS ${c.server ?? c.servers.join(", ")}` : p.yellow(`⚠ not connected to NATS (${c.servers.join(", ")})`);
  return `space ${c.space} as node ${c.node}, ${nats}; stream ${c.stream} (R${c.replicas}); ${c.names} names cluster-wide, ${c.consumers} homed here; ${c.outbox} in the outbox`;
}

function uptime(s: number): string {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}
