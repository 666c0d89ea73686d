/** An unmodified-style legacy client: Python's socket module, as the legacy tools/ scripts used it. */
import { expect, test } from "bun:test";
import { testBroker } from "../helpers/broker.ts";

const PYTHON = Bun.which("python3");

const CLIENT = `
import hashlib, json, socket, sys
def call(port, req):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(json.dumps(req).encode())
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    return json.loads(data.decode())
port = int(sys.argv[1])
secret = sys.argv[2]
def proof(name):
    return hashlib.sha256(f"{name}:{secret}".encode()).hexdigest()
me = call(port, {"action": "register", "instance_id": "gemini", "auth_token": proof("gemini")})
you = call(port, {"action": "register", "instance_id": "claude", "auth_token": proof("claude")})
call(port, {"action": "send", "from_id": "gemini", "to_id": "claude", "message": {"content": "hello from python"}, "session_token": me["session_token"]})
print(json.dumps(call(port, {"action": "check", "instance_id": "claude", "session_token": you["session_token"]})))
`;

// Legacy clients need the shared secret now (the broker is secure by default; claude-ipc-mcp's docs call it required).
test.skipIf(!PYTHON)("a Python legacy client registers with the shared secret, sends and checks", async () => {
  await using b = await testBroker({ IPC_SHARED_SECRET: "team-secret" });
  const proc = Bun.spawn([PYTHON!, "-c", CLIENT, String(b.port), "team-secret"], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect(err).toBe("");
  expect(code).toBe(0);
  const reply = JSON.parse(out);
  expect(reply.status).toBe("ok");
  expect(reply.messages[0]).toMatchObject({ from: "gemini", to: "claude", message: { content: "hello from python" } });
});
