/**
 * Issue 22, hole 5: the page could post as a name an agent held, whenever that
 * agent was not connected (with dave offline, a post "as dave" landed in
 * erin's inbox). Now every registered agent name is refused, connected or not;
 * the person posts as a person's name, which stays theirs across broker
 * restarts until an agent takes it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type BrokerProcess, type IpcEnv, ipc, ipcJson, startBrokerProcess } from "../helpers/processes.ts";
import { dashboardBroker, login } from "./_ui.ts";

let e: IpcEnv;
let broker: BrokerProcess;
let origin: string;

beforeAll(async () => {
  ({ e, broker, origin } = await dashboardBroker());
  for (const name of ["dave", "erin"]) expect((await ipc(e, ["register", name], { env: { IPC_NAME: name } })).code).toBe(0);
});

afterAll(async () => {
  await broker?.stop();
});

async function post(auth: Record<string, string>, as: string, content: string): Promise<Response> {
  return fetch(`${origin}/api/send`, {
    method: "POST",
    headers: { ...auth, origin, "content-type": "application/json" },
    body: JSON.stringify({ as, to: "erin", content }),
  });
}

async function erinsMail(): Promise<{ from: string; content: string }[]> {
  return (await ipcJson<{ messages: { from: string; content: string }[] }>(e, ["check", "--peek"], { env: { IPC_NAME: "erin" } })).messages;
}

describe("the dashboard posts as a person, never as an agent", () => {
  test("an agent's name is refused while the agent is offline", async () => {
    const auth = await login(e, origin);
    const forged = await post(auth, "dave", "as dave, who is offline");
    expect(forged.status).toBe(409);
    expect(((await forged.json()) as { error: { message: string } }).error.message).toContain("agent's name");
    expect((await erinsMail()).map((m) => m.content)).not.toContain("as dave, who is offline");
  });

  test("a person's own name works, keeps working after a restart, and stops once an agent takes it", async () => {
    let auth = await login(e, origin);
    expect((await post(auth, "pat", "hello from pat")).status).toBe(200);
    expect(await erinsMail()).toContainEqual(expect.objectContaining({ from: "pat", content: "hello from pat" }));

    await broker.stop();
    broker = await startBrokerProcess(e);
    auth = await login(e, origin);
    expect((await post(auth, "pat", "still pat after a restart")).status).toBe(200);

    // An agent registers the name: from then on it is the agent's.
    expect((await ipc(e, ["register", "pat"], { env: { IPC_NAME: "pat" } })).code).toBe(0);
    const taken = await post(auth, "pat", "pat is an agent now");
    expect(taken.status).toBe(409);
    expect((await erinsMail()).map((m) => m.content)).not.toContain("pat is an agent now");
  }, 30_000);
});
