/**
 * The machine's own limit: a minimal Bun NDJSON echo server. It does the
 * least an NDJSON request/response server can do: split lines, parse each
 * JSON request, answer `{"id":…,"ok":true}` per request, one write per read.
 * Run as `bun bench/lib/echo-server.ts PORT`; prints "ready PORT".
 */
const port = Number(process.argv[2] ?? 0);
const server = Bun.listen<{ rest: string }>({
  hostname: "127.0.0.1",
  port,
  socket: {
    open(s) {
      s.data = { rest: "" };
    },
    data(s, chunk) {
      const lines = (s.data.rest + chunk.toString()).split("\n");
      s.data.rest = lines.pop()!;
      let out = "";
      for (const line of lines) out += `${JSON.stringify({ id: JSON.parse(line).id, ok: true })}\n`;
      if (out) s.write(out);
    },
  },
});
process.stdout.write(`ready ${server.port}\n`);
