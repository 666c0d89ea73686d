/**
 * Scale of names and connections: a broker holding many registered names
 * (one per agent that ever registered), a few thousand of them on idle,
 * authenticated connections. Broker RSS, `list`'s first page, and the
 * 1 × 1 send (run by the caller, pinned, against the same broker).
 */
import { closeAll, openAgents } from "../lib/agents.ts";
import { Lines } from "../lib/lines.ts";
import { rssMiB } from "../lib/procs.ts";
import { percentile } from "../lib/stats.ts";
import type { Measurements, Timing } from "./types.ts";

/** A broker at scale: `names` registered, `connections` of them held on idle connections until `close`. */
export interface Populated {
  close(): void;
}

/** Registers `names` names (pipelined, on a few connections), then holds `connections` of them on their own idle connections. */
export async function populate(port: number, names: number, connections: number): Promise<Populated> {
  const rest = names - connections;
  const registrars = await Promise.all(Array.from({ length: 4 }, () => Lines.open(port)));
  await Promise.all(
    registrars.map(async (l, c) => {
      let batch = "";
      let n = 0;
      for (let i = c; i < rest; i += registrars.length, n++) batch += `{"id":${i},"op":"register","name":"idle${i}"}\n`;
      l.write(batch);
      for (let k = 0; k < n; k++) {
        const line = await l.next();
        if (line.includes('"ok":false')) throw new Error(`register: ${line}`);
      }
    }),
  );
  closeAll(registrars);
  const held = await openAgents(port, connections, (i) => `agent${i}`);
  return { close: () => closeAll(held) };
}

/** RSS and `list` first-page latency (ms, p50 over `t.samples`) of the populated broker `pid` on `port`; checks it holds `names`. */
export async function scaleFigures(port: number, pid: number, names: number, t: Timing): Promise<Measurements> {
  await Bun.sleep(300);
  const rss = await rssMiB(pid);
  const l = await Lines.open(port);
  await l.call({ id: 0, op: "register", name: "lister" });
  const lat: number[] = [];
  try {
    for (let i = 0; i < t.samples + 10; i++) {
      const t0 = performance.now();
      const r = await l.call({ id: i, op: "list" });
      const ms = performance.now() - t0;
      if (!(r.total >= names) || r.instances.length === 0) throw new Error(`list: ${r.total} instances, expected at least ${names}`);
      if (i >= 10) lat.push(ms);
    }
  } finally {
    l.close();
  }
  return { "scale.rss": rss, "scale.list.p50": percentile(lat, 50) };
}
