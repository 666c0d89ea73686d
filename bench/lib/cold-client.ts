/**
 * The reference for `cold.send`: the bare Bun runtime starting, doing one
 * NDJSON request/answer on loopback (a `hello` to the broker under test), and
 * exiting — what `ipc send` does, without ipc's code. The bench runs it with
 * its own Bun (the runtime `dist/ipc` is compiled with) as
 * `bun bench/lib/cold-client.ts PORT`; exits 0 once a line is answered.
 */
const port = Number(process.argv[2]);
let text = "";
const s = await Bun.connect({
  hostname: "127.0.0.1",
  port,
  socket: {
    data(_socket, chunk) {
      text += chunk.toString();
      if (text.includes("\n")) process.exit(0);
    },
    close(_socket, err) {
      process.stderr.write(`cold-client: closed before an answer${err ? ` (${err.message})` : ""}: ${JSON.stringify(text)}\n`);
      process.exit(1);
    },
  },
});
s.write(`{"id":1,"op":"hello","nonce":"${"0".repeat(32)}"}\n`);
export {};
