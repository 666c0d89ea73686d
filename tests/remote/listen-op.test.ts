/**
 * The owner-only `listen` op (src/broker/ops/listen.ts) on a real broker over
 * real sockets: the owner adds TLS listeners live, all or none; strangers,
 * open-mode connections and sessions may not.
 */
import { expect, test, setDefaultTimeout } from "bun:test";
import { testBroker } from "../helpers/broker.ts";
import { RawClient } from "../helpers/raw.ts";

// Real broker processes on a shared 2-core machine: bun's 5 s default is too short under load (bunfig's timeout is not applied here).
setDefaultTimeout(60_000);

/** A free TCP port on 127.0.0.2. */
function freePortOn2(): number {
  const l = Bun.listen({ hostname: "127.0.0.2", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

/** Resolves once a TLS handshake with 127.0.0.2:`port` completes. */
async function tlsAnswers(port: number): Promise<boolean> {
  let done!: (ok: boolean) => void;
  const result = new Promise<boolean>((r) => (done = r));
  const s = await Bun.connect({
    hostname: "127.0.0.2",
    port,
    tls: { rejectUnauthorized: false },
    socket: { handshake: () => done(true), data() {}, error: () => done(false), close: () => done(false) },
  }).catch(() => null);
  if (s === null) return false;
  const ok = await Promise.race([result, Bun.sleep(5_000).then(() => false)]);
  s.end();
  return ok;
}

test("the owner adds TLS listeners to the running broker; an address it has is left alone; one it cannot bind adds none", async () => {
  await using b = await testBroker();
  await using owner = await RawClient.connect(b.port);
  const first = freePortOn2();
  const r = await owner.call({ id: 1, op: "listen", add: [{ host: "127.0.0.2", port: first }] });
  expect(r.ok).toBe(true);
  expect(r.added).toEqual([{ host: "127.0.0.2", port: first }]);
  expect(r.fingerprint).toMatch(/^SHA256:/);
  expect(await tlsAnswers(first)).toBe(true);
  const status = await owner.call({ id: 2, op: "status" });
  expect(status.tls.listeners).toEqual([{ host: "127.0.0.2", port: first }]);

  // Again, and port 0 (any port) on that host: both satisfied by the listener it has.
  const again = await owner.call({ id: 3, op: "listen", add: [{ host: "127.0.0.2", port: first }, { host: "127.0.0.2", port: 0 }] });
  expect(again.ok).toBe(true);
  expect(again.added).toEqual([]);

  // One free address and one taken: an error naming the taken one, and the free one not opened.
  const blocker = Bun.listen({ hostname: "127.0.0.2", port: 0, socket: { data() {} } });
  const free = freePortOn2();
  const bad = await owner.call({ id: 4, op: "listen", add: [{ host: "127.0.0.2", port: free }, { host: "127.0.0.2", port: blocker.port }] });
  blocker.stop(true);
  expect(bad.ok).toBe(false);
  expect(bad.error.code).toBe("CONFLICT");
  expect(bad.error.message).toContain(`127.0.0.2:${blocker.port}`);
  expect((await owner.call({ id: 5, op: "status" })).tls.listeners).toEqual([{ host: "127.0.0.2", port: first }]);
  expect(await tlsAnswers(free)).toBe(false);

  // A stopped broker closes the listeners it added.
  await b.stop();
  expect(await tlsAnswers(first)).toBe(false);
});

test("a connection that did not prove the key is refused listen, in open mode and with a session too", async () => {
  await using secure = await testBroker();
  await using stranger = await RawClient.connect(secure.port, "127.0.0.1", { authenticate: false });
  const r = await stranger.call({ id: 1, op: "listen", add: [{ host: "127.0.0.2", port: freePortOn2() }] });
  expect(r.error.code).toBe("UNAUTHENTICATED");

  await using open = await testBroker({ IPC_OPEN: "1" });
  await using guest = await RawClient.connect(open.port, "127.0.0.1", { authenticate: false });
  const g = await guest.call({ id: 1, op: "listen", add: [{ host: "127.0.0.2", port: freePortOn2() }] });
  expect(g.error.code).toBe("FORBIDDEN");
  expect((await guest.call({ id: 2, op: "register", name: "fred" })).ok).toBe(true);
  const s = await guest.call({ id: 3, op: "listen", add: [{ host: "127.0.0.2", port: freePortOn2() }] });
  expect(s.error.code).toBe("FORBIDDEN");
  expect((await guest.call({ id: 4, op: "status" })).tls).toBeUndefined();
});

test("listen takes 1 to 16 well-formed addresses", async () => {
  await using b = await testBroker();
  await using owner = await RawClient.connect(b.port);
  for (const add of [[], [{ host: "127.0.0.2" }], [{ host: "bad host", port: 1 }], [{ host: "127.0.0.2", port: 70_000 }], Array(17).fill({ host: "127.0.0.2", port: 0 })]) {
    const r = await owner.call({ id: 1, op: "listen", add });
    expect(r.ok).toBe(false);
    expect(r.error.code).toBe("BAD_REQUEST");
  }
});

test("two owners asking for the same address at once get one listener, and both succeed", async () => {
  await using b = await testBroker();
  await using one = await RawClient.connect(b.port);
  await using two = await RawClient.connect(b.port);
  const port = freePortOn2();
  const add = [{ host: "127.0.0.2", port }];
  const [r1, r2] = await Promise.all([one.call({ id: 1, op: "listen", add }), two.call({ id: 1, op: "listen", add })]);
  expect([r1.ok, r2.ok]).toEqual([true, true]);
  expect([...r1.added, ...r2.added]).toEqual([{ host: "127.0.0.2", port }]);
  expect((await one.call({ id: 2, op: "status" })).tls.listeners).toEqual([{ host: "127.0.0.2", port }]);
});
