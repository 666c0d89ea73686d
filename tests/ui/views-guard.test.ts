/**
 * The endpoints issue 24 added to the dashboard (channels, claims, graph,
 * activity, release) behind the same guard as the others, with plain fetch
 * against a real broker: no session → 401; a foreign Host, a foreign Origin,
 * a write without an Origin or a cross-site fetch → 403 even with a session;
 * every answer carries the CSP; a release as an agent's name is refused and
 * changes nothing; bodies that are not what the endpoint takes get clear errors.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../helpers/ports.ts";
import { type BrokerProcess, type IpcEnv, ipc, ipcEnv, ipcJson, startBrokerProcess, tempHome } from "../helpers/processes.ts";
import { login, loginUrl } from "./_ui.ts";

let e: IpcEnv;
let broker: BrokerProcess;
let origin: string;
let port: number;
let work: string;
let session: Record<string, string>;

const READS = ["/api/channels", "/api/claims", "/api/graph", "/api/activity"];

beforeAll(async () => {
  port = freePort();
  origin = `http://127.0.0.1:${port}`;
  e = ipcEnv({ IPC_UI_PORT: String(port) });
  broker = await startBrokerProcess(e);
  work = join(tempHome("ipc-ui-guard-"), "shop");
  mkdirSync(join(work, ".git"), { recursive: true });
  for (const name of ["fred", "barney"]) expect((await ipc(e, ["register", name], { env: { IPC_NAME: name } })).code).toBe(0);
  expect((await ipc(e, ["channel", "join", "#ops"], { env: { IPC_NAME: "fred" } })).code).toBe(0);
  expect((await ipc(e, ["send", "#ops", "deploying now"], { env: { IPC_NAME: "fred" } })).code).toBe(0);
  expect((await ipc(e, ["claim", "src/cart/**", "--reason", "<b>refactor</b>"], { env: { IPC_NAME: "barney" }, cwd: work })).code).toBe(0);
  await loginUrl(e); // starts the dashboard
  session = await login(e, origin);
});

afterAll(async () => {
  await broker?.stop();
});

const release = (headers: Record<string, string>, body: unknown) =>
  fetch(`${origin}/api/release`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

describe("the new dashboard endpoints behind the guard", () => {
  test("nothing without a session; with one, each answers JSON under the CSP", async () => {
    for (const path of READS) {
      expect((await fetch(`${origin}${path}`)).status).toBe(401);
      const ok = await fetch(`${origin}${path}`, { headers: session });
      expect(ok.status).toBe(200);
      expect(ok.headers.get("content-security-policy")).toContain("default-src 'none'");
      expect(ok.headers.get("content-type")).toContain("application/json");
      await ok.json();
    }
    expect((await release({ origin }, { as: "you", holder: "barney", project: work, path: "src/cart/**" })).status).toBe(401);
  });

  test("a foreign Host, a foreign Origin or a cross-site fetch is refused even with a session", async () => {
    for (const path of READS) {
      expect((await fetch(`${origin}${path}`, { headers: { ...session, host: `evil.example:${port}` } })).status).toBe(403);
      expect((await fetch(`${origin}${path}`, { headers: { ...session, origin: "http://evil.example" } })).status).toBe(403);
      expect((await fetch(`${origin}${path}`, { headers: { ...session, "sec-fetch-site": "cross-site" } })).status).toBe(403);
    }
    const body = { as: "you", holder: "barney", project: work, path: "src/cart/**" };
    expect((await release({ ...session, origin: "http://evil.example" }, body)).status).toBe(403);
    expect((await release({ ...session }, body)).status).toBe(403); // a write must carry an Origin
    expect((await release({ ...session, origin, host: "evil.example" }, body)).status).toBe(403);
    // The claim is still there.
    const claims = await ipcJson<{ claims: { path: string }[] }>(e, ["claims"], { env: { IPC_NAME: "barney" }, cwd: work });
    expect(claims.claims.map((c) => c.path)).toContain("src/cart/**");
  });

  test("the views say what the broker knows: a channel post once, its members, the claim with its reason as text", async () => {
    const channels = (await (await fetch(`${origin}/api/channels`, { headers: session })).json()) as { items: { name: string; members: string[]; last?: { content: string } }[] };
    expect(channels.items).toContainEqual(expect.objectContaining({ name: "#ops", members: ["fred"] }));
    expect(channels.items.find((c) => c.name === "#ops")?.last?.content).toBe("deploying now");
    const claims = (await (await fetch(`${origin}/api/claims`, { headers: session })).json()) as { items: { holder: string; reason: string; project_name: string }[] };
    expect(claims.items).toContainEqual(expect.objectContaining({ holder: "barney", reason: "<b>refactor</b>", project_name: "shop" }));
    const convs = (await (await fetch(`${origin}/api/conversations`, { headers: session })).json()) as { items: { a: string; b: string }[] };
    expect(convs.items).toContainEqual(expect.objectContaining({ a: "#ops", b: "#ops" }));
    const graph = (await (await fetch(`${origin}/api/graph`, { headers: session })).json()) as { edges: { from: string; to: string; count: number }[] };
    expect(graph.edges).toContainEqual({ from: "fred", to: "#ops", count: 1 });
  });

  test("a release as an agent's name is refused and changes nothing; bad bodies get clear errors", async () => {
    const headers = { ...session, origin };
    const asAgent = await release(headers, { as: "fred", holder: "barney", project: work, path: "src/cart/**" });
    expect(asAgent.status).toBe(409);
    expect(((await asAgent.json()) as { error: { message: string } }).error.message).toContain("agent");
    const badName = await release(headers, { as: "you", holder: "no such name!", project: work, path: "src/cart/**" });
    expect(badName.status).toBe(400);
    expect(((await badName.json()) as { error: { code: string } }).error.code).toBe("INVALID_NAME");
    const missing = await release(headers, { as: "you", holder: "barney", project: work });
    expect(missing.status).toBe(400);
    const none = await release(headers, { as: "you", holder: "barney", project: work, path: "src/other/**" });
    expect(none.status).toBe(404);
    const claims = await ipcJson<{ claims: { path: string }[] }>(e, ["claims"], { env: { IPC_NAME: "barney" }, cwd: work });
    expect(claims.claims.map((c) => c.path)).toContain("src/cart/**");
    // As a person: released, and barney is told.
    const ok = await release(headers, { as: "you", holder: "barney", project: work, path: "src/cart/**" });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { released: number }).released).toBe(1);
    const inbox = await ipcJson<{ messages: { from: string; content: string }[] }>(e, ["check"], { env: { IPC_NAME: "barney" } });
    expect(inbox.messages).toContainEqual(expect.objectContaining({ from: "you", content: expect.stringContaining("released your claim on src/cart/**") }));
  });
});
