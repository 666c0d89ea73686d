/**
 * The store limit (issue 25): the most 8 × 32 sends a server that only stores
 * and answers them reaches here, next to the durable ceiling (no sockets at all)
 * and the broker. A bare Bun NDJSON server: `JSON.parse` of each frame, the row
 * stored the way the broker stores a send (the broker's database, schema,
 * pragmas and checkpoint worker; `MessageStore.insertLater`, drained before
 * COMMIT), one transaction per event-loop turn, and each connection's answers
 * (one `JSON.stringify` each) written after its COMMIT. No sessions, rate or
 * permission checks, delivery, or group growth: what the broker adds over it
 * is its own logic.
 *
 * Run as `bun bench/lib/store-server.ts PORT DIR` (DIR: a fresh directory for
 * ipc.db); prints "ready PORT". `register` names the connection's sender;
 * any other request is answered `{"id":…,"ok":true}`.
 */
import type { Socket } from "bun";
import { join } from "node:path";
import { Checkpointer } from "../../src/store/checkpointer.ts";
import { openDatabase } from "../../src/store/database.ts";
import { InstanceStore } from "../../src/store/instances.ts";
import { MessageStore } from "../../src/store/messages.ts";

type Conn = { rest: string; sender: string };
const [portArg, dir] = process.argv.slice(2);
const path = join(dir!, "ipc.db");
const db = openDatabase(path);
await Checkpointer.start(db, path);
const messages = new MessageStore(db);
const instances = new InstanceStore(db);
const begin = db.prepare("BEGIN");
const commit = db.prepare("COMMIT");

/** Answers waiting for the open transaction, per connection; null while none is open. */
let waiting: Map<Socket<Conn>, string> | null = null;

/** Commits the turn's rows, then writes each connection's answers (one write each). */
function commitTurn(): void {
  const answers = waiting!;
  waiting = null;
  messages.drain();
  commit.run();
  for (const [s, text] of answers) s.write(text);
}

const server = Bun.listen<Conn>({
  hostname: "127.0.0.1",
  port: Number(portArg),
  socket: {
    open(s) {
      s.data = { rest: "", sender: "" };
    },
    data(s, chunk) {
      const lines = (s.data.rest + chunk.toString()).split("\n");
      s.data.rest = lines.pop()!;
      let out = "";
      for (const line of lines) {
        const req = JSON.parse(line) as { id?: unknown; op?: string; name?: string; to?: string; content?: string };
        if (req.op === "register" && typeof req.name === "string") {
          s.data.sender = req.name;
          instances.upsert(req.name, Date.now());
          s.write(`${JSON.stringify({ id: req.id ?? null, ok: true })}\n`);
        } else if (req.op === "send" && typeof req.to === "string" && typeof req.content === "string") {
          if (waiting === null) {
            begin.run();
            waiting = new Map();
            setImmediate(commitTurn);
          }
          const id = messages.insertLater({ sender: s.data.sender, recipient: req.to, kind: "direct", content: req.content, data: null, reply_to: null, created_at: Date.now(), read_at: null });
          out += `${JSON.stringify({ id: req.id ?? null, ok: true, message_id: id, to: req.to, status: "future" })}\n`;
        } else {
          s.write(`${JSON.stringify({ id: req.id ?? null, ok: true })}\n`);
        }
      }
      if (out !== "") waiting!.set(s, (waiting!.get(s) ?? "") + out);
    },
  },
});
process.stdout.write(`ready ${server.port}\n`);
