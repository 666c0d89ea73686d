/**
 * claude-ipc-mcp's own clients read a reply with ONE `recv(65536)` on a fresh
 * connection (its MCP server and tools/ scripts do exactly that), so every
 * legacy reply must arrive whole to such a reader (LEGACY_REPLY_BYTES).
 */
import { expect, test } from "bun:test";
import { LEGACY_REPLY_BYTES } from "../../src/broker/edge/legacy/handle.ts";
import { testBroker } from "../helpers/broker.ts";

const PYTHON = Bun.which("python3");

const CLIENT = `
import hashlib, json, socket, sys
port, secret, count, max_checks = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def proof(name):
    return hashlib.sha256(f"{name}:{secret}".encode()).hexdigest()
def call(req):
    # The seed client: connect, sendall, one recv(65536), close.
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(json.dumps(req).encode())
    data = s.recv(65536)
    s.close()
    return data
me = json.loads(call({"action": "register", "instance_id": "sender", "auth_token": proof("sender")}))
you = json.loads(call({"action": "register", "instance_id": "reader", "auth_token": proof("reader")}))
body = "x" * 1900
for i in range(count):
    r = json.loads(call({"action": "send", "from_id": "sender", "to_id": "reader", "message": {"content": f"{i:05d} {body}"}, "session_token": me["session_token"]}))
    assert r["status"] == "ok", r
cut, got, sizes = [], [], []
for i in range(max_checks):
    data = call({"action": "check", "instance_id": "reader", "session_token": you["session_token"]})
    try:
        messages = json.loads(data.decode())["messages"]
    except Exception:
        cut.append(len(data))
        continue
    if not messages:
        break
    sizes.append(len(data))
    got += [int(m["message"]["content"][:5]) for m in messages]
print(json.dumps({"cut": cut, "got": got, "sizes": sizes}))
`;

test.skipIf(!PYTHON)(
  "an inbox of 50 × 60 KiB drains through back-to-back checks, each read with one recv(65536) on a fresh connection: every reply parses, nothing is lost",
  async () => {
    await using b = await testBroker({ IPC_SHARED_SECRET: "team-secret", IPC_RATE_LIMIT: "0" });
    const count = 50 * 32; // 32 messages of about 1.9 KB: 60 KiB of mail for each of 50 checks
    const proc = Bun.spawn([PYTHON!, "-c", CLIENT, String(b.port), "team-secret", String(count), "1000"], { stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect(err).toBe("");
    expect(code).toBe(0);
    const r = JSON.parse(out) as { cut: number[]; got: number[]; sizes: number[] };
    expect(r.cut).toEqual([]); // no reply was cut by the one recv
    expect(r.got).toEqual([...Array(count).keys()]); // every message once, in order
    expect(r.sizes.length).toBeGreaterThanOrEqual(50);
    for (const size of r.sizes) expect(size).toBeLessThanOrEqual(LEGACY_REPLY_BYTES);
    for (const size of r.sizes.slice(0, -1)) expect(size).toBeGreaterThan(LEGACY_REPLY_BYTES - 2_000); // replies are full
  },
  120_000,
);
