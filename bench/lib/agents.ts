/** Many authenticated connections at once, each registered as its own agent (fan-out, scale). */
import { Lines } from "./lines.ts";

/** Connections opened at the same time (bounded, so the broker's accept queue and the client's handshakes keep up). */
const BATCH = 100;

/** Opens `count` connections to `port`, each authenticated and registered as `name(i)`. */
export async function openAgents(port: number, count: number, name: (i: number) => string): Promise<Lines[]> {
  const agents: Lines[] = [];
  for (let start = 0; start < count; start += BATCH) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(BATCH, count - start) }, async (_, k) => {
        const l = await Lines.open(port);
        const r = await l.call({ id: 0, op: "register", name: name(start + k) });
        if (r.ok === false) throw new Error(`register ${name(start + k)}: ${JSON.stringify(r)}`);
        return l;
      }),
    );
    agents.push(...batch);
  }
  return agents;
}

/** Closes every connection of `agents`. */
export function closeAll(agents: Lines[]): void {
  for (const a of agents) a.close();
}
