/** Broker resident memory: idle, and holding 1 000 idle connections. */
import type { Socket } from "bun";
import { rssMiB } from "../lib/procs.ts";
import type { Measurements } from "./types.ts";

export async function memory(port: number, pid: number, connections = 1000): Promise<Measurements> {
  await Bun.sleep(300);
  const idle = await rssMiB(pid);
  const sockets: Socket<undefined>[] = [];
  let answered = 0;
  for (let i = 0; i < connections; i++) {
    sockets.push(
      await Bun.connect({
        hostname: "127.0.0.1",
        port,
        socket: {
          open: (s) => void s.write('{"id":1,"op":"hello"}\n'),
          data: () => void answered++,
        },
      }),
    );
  }
  while (answered < connections) await Bun.sleep(5);
  await Bun.sleep(300);
  const held = await rssMiB(pid);
  for (const s of sockets) s.end();
  return { "rss.idle": idle, "rss.connections": held };
}
