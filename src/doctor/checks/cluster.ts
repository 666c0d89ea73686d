/**
 * Doctor: the broker's cluster (docs/cluster.md#6-operations), as its status
 * tells it: connected to which NATS server, the space, the stream and its
 * replicas, the lag (mail in this broker's outbox not yet in JetStream, mail
 * in the stream not yet committed by its recipient's broker), names, consumers.
 */
import type { Check, Finding } from "../check.ts";

export const clusterCheck: Check = (ctx) => {
  const c = ctx.broker?.cluster;
  if (c === undefined) return [];
  const out: Finding[] = [];
  if (c.refused !== undefined) {
    out.push({ check: "cluster", status: "fail", message: `not in space ${c.space}: ${c.refused}`, fix: "fix the NATS setup or the space key as the message says, then restart the broker (docs/security.md#the-cluster-nats)" });
  }
  if (c.insecure === true) {
    out.push({
      check: "cluster",
      status: "warn",
      message: "--nats-insecure: the NATS connection needs no authentication or TLS; whoever reaches the NATS server can read the space's mail and delete from it (records stay signed with the space key)",
      fix: "give the NATS server users, permissions and TLS (docs/cluster.md#a-secure-setup), pass --nats-creds, and drop --nats-insecure",
    });
  }
  if (c.refused !== undefined) {
    // nothing more to say about a space it is not in
  } else if (!c.connected) {
    out.push({
      check: "cluster",
      status: "warn",
      message: `not connected to NATS (${c.servers.join(", ")}); local agents are served, cross-broker mail waits in the outbox (${c.outbox})`,
      fix: "start the NATS servers or fix --nats / IPC_NATS; the outbox is published on reconnect",
    });
  } else {
    out.push({
      check: "cluster",
      status: "ok",
      message: `space ${c.space} on NATS ${c.server ?? c.servers.join(", ")} as node ${c.node}; stream ${c.stream} (R${c.replicas}); ${c.names} names cluster-wide, ${c.consumers} homed here`,
    });
  }
  const pending = c.pending === undefined ? "" : `, ${c.pending} in the stream not yet committed by their recipients' brokers`;
  const lagging = c.outbox > 1_000;
  out.push({
    check: "cluster",
    status: lagging ? "warn" : "ok",
    message: `lag: ${c.outbox} cross-broker messages in this broker's outbox${pending}`,
    ...(lagging && { fix: "the outbox drains while NATS is reachable; if it grows, check the NATS servers (nats-server logs) and the broker log" }),
  });
  return out;
};
