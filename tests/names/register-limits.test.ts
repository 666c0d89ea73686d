/** Hole 7 (issue 10): registrations are rate-limited per connection and per peer, so no client can mint names without bound. */
import { expect, test } from "bun:test";
import { IpcError } from "../../src/protocol/errors.ts";
import { testBroker } from "../helpers/broker.ts";
import { agentOf, legacyCall, SECRET } from "./_agents.ts";

/** Registers `names` through `register`, stopping at the first refusal; returns how many went through and the refusal. */
async function storm(register: (name: string) => Promise<unknown>, names: string[]): Promise<{ ok: number; refusal: IpcError | null }> {
  let ok = 0;
  for (const n of names) {
    try {
      await register(n);
      ok++;
    } catch (err) {
      if (err instanceof IpcError) return { ok, refusal: err };
      throw err;
    }
  }
  return { ok, refusal: null };
}

const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

test("one connection registering new name after new name is stopped (the register storm)", async () => {
  await using b = await testBroker(); // default limits
  using a = agentOf(b);
  const r = await storm((n) => a.register(n), names("storm", 200));
  expect(r.ok).toBe(10); // IPC_REGISTER_PER_CONNECTION
  expect(r.refusal?.code).toBe("RATE_LIMITED");
  expect(r.refusal?.message).toContain("IPC_REGISTER_PER_CONNECTION");
  expect(r.refusal?.retryAfterMs).toBeGreaterThan(0);
  expect(b.broker.registry.instances.size).toBe(10);
});

test("re-registering on one connection counts too: a connection cannot hop between names", async () => {
  await using b = await testBroker({ IPC_REGISTER_PER_CONNECTION: "3" });
  using a = agentOf(b);
  const r = await storm((n) => a.register(n), ["hop", "hop", "hop", "hop"]);
  expect(r).toMatchObject({ ok: 3, refusal: { code: "RATE_LIMITED" } });
});

test("many connections of one peer share its allowance; the Unix socket and TCP are separate peers", async () => {
  await using b = await testBroker({ IPC_REGISTER_BURST: "5", IPC_REGISTER_RATE: "1" });
  const viaSocket = await storm(async (n) => {
    using a = agentOf(b);
    return a.register(n);
  }, names("sock", 20));
  expect(viaSocket.ok).toBe(5);
  expect(viaSocket.refusal?.message).toContain("this user (Unix socket)");
  expect(viaSocket.refusal?.message).toContain("IPC_REGISTER_RATE");

  // A flood over TCP (where another local user could connect) has its own allowance, so it cannot lock the owner out of the socket.
  const viaTcp = await storm(async (n) => {
    using a = agentOf(b, null, { socketPath: null });
    return a.register(n);
  }, names("tcp", 20));
  expect(viaTcp.ok).toBe(5);
  expect(viaTcp.refusal?.message).toContain("loopback (TCP)");
  expect(b.broker.registry.instances.size).toBe(10);
});

test("the legacy protocol's register is limited per peer too", async () => {
  await using b = await testBroker({ IPC_REGISTER_BURST: "3", IPC_REGISTER_RATE: "1", IPC_SHARED_SECRET: SECRET });
  const replies: string[] = [];
  for (let i = 0; i < 5; i++) replies.push((await legacyCall(b.port, { action: "register", instance_id: `old${i}` })).reply.status);
  expect(replies).toEqual(["ok", "ok", "ok", "error", "error"]);
});
