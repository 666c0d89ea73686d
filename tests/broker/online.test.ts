/** `list`'s online: held now (a live connection, or a live seat), not merely seen lately. */
import { expect, test } from "bun:test";
import { testBroker } from "../helpers/broker.ts";
import { RawClient } from "../helpers/raw.ts";

test("a name registered by a host that has exited is offline at once; a live seat or connection is online", async () => {
  await using b = await testBroker();
  // A short-lived host (as `claude mcp list` health-checking the MCP entry): it registers, then it and its connection end.
  const host = Bun.spawn(["sleep", "30"]);
  const brief = await RawClient.connect(b.port);
  expect((await brief.call({ id: 1, op: "register", name: "checked", seat: { host: "claude-code", pid: host.pid } })).ok).toBe(true);
  await brief[Symbol.asyncDispose]();
  // A shell agent: its connection closes after each command, its shell (this test process) lives on.
  const shell = await RawClient.connect(b.port);
  expect((await shell.call({ id: 1, op: "register", name: "shelly", seat: { host: "cli", pid: process.pid } })).ok).toBe(true);
  await shell[Symbol.asyncDispose]();
  // Connected now.
  await using live = await RawClient.connect(b.port);
  expect((await live.call({ id: 1, op: "register", name: "livia" })).ok).toBe(true);

  const online = async () => {
    const r = await live.call({ id: 2, op: "list" });
    return Object.fromEntries(r.instances.map((i: { name: string; online: boolean }) => [i.name, i.online]));
  };
  expect(await online()).toEqual({ checked: true, shelly: true, livia: true }); // the health check's host still runs
  host.kill();
  await host.exited;
  expect(await online()).toEqual({ checked: false, shelly: true, livia: true });
});
