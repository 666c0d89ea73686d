/** Two `ipc mcp` servers as two agents: messages, waiting, unread notices, search, read. */
import { afterAll, describe, expect, test } from "bun:test";
import { type IpcEnv, ipcEnv } from "../helpers/processes.ts";
import { startMcp, stopBroker } from "./_mcp.ts";

describe("ipc mcp messaging", () => {
  const envs: IpcEnv[] = [];
  afterAll(async () => {
    for (const e of envs) await stopBroker(e);
  });
  const env = () => {
    const e = ipcEnv();
    envs.push(e);
    return e;
  };

  test("two agents exchange messages; a waiting check returns as soon as the other sends", async () => {
    const e = env();
    await using fred = await startMcp(e, { name: "fred" });
    await using barney = await startMcp(e, { name: "barney" });
    const sent = await barney.call("send", { to: "Fred", content: "Hi Fred, lunch at noon?", data: { place: "quarry" } });
    expect(sent).toMatchObject({ isError: false, text: expect.stringMatching(/^Sent message #\d+ to fred/) });

    const inbox = await fred.call("check");
    expect(inbox.text).toContain("1 new message:");
    expect(inbox.text).toMatch(/=== #\d+ from barney at /);
    expect(inbox.text).toContain("Hi Fred, lunch at noon?");
    expect(inbox.text).toContain('"place":"quarry"');
    expect((await fred.call("check")).text).toBe("No new messages.");

    // fred waits up to 30 s; barney answers after 300 ms.
    const t0 = performance.now();
    const waiting = barney.call("check", { wait: 30 });
    await Bun.sleep(300);
    await fred.call("send", { to: "barney", content: "Sure, see you at noon" });
    const answer = await waiting;
    const elapsed = performance.now() - t0;
    expect(answer.text).toContain("Sure, see you at noon");
    expect(elapsed).toBeLessThan(3_000);

    // A wait that nobody answers ends empty after its time.
    const t1 = performance.now();
    expect((await fred.call("check", { wait: 0.5 })).text).toBe("No new messages after waiting 1 s.");
    expect(performance.now() - t1).toBeGreaterThanOrEqual(450);
  });

  test("a waiting check that the host cancels marks nothing read", async () => {
    const e = env();
    await using a = await startMcp(e, { name: "patient" });
    await using b = await startMcp(e, { name: "sender" });
    await a.call("list_instances");
    const abort = new AbortController();
    const waiting = a.client.callTool({ name: "check", arguments: { wait: 30 } }, undefined, { signal: abort.signal });
    await Bun.sleep(200);
    abort.abort();
    await expect(waiting).rejects.toThrow();
    await b.call("send", { to: "patient", content: "arrived after the cancel" });
    await Bun.sleep(100);
    expect((await a.call("check")).text).toContain("arrived after the cancel");
  });

  test("every result ends with the unread notice while mail waits; check clears it", async () => {
    const e = env();
    await using a = await startMcp(e, { name: "notice-a" });
    await using b = await startMcp(e, { name: "notice-b" });
    expect((await a.call("list_instances")).text).not.toContain("📬");
    await b.call("send", { to: "notice-a", content: "one" });
    await b.call("send", { to: "notice-a", content: "two" });
    const listed = await a.call("list_instances");
    expect(listed.text.split("\n").at(-1)).toBe("📬 2 unread messages — call check");
    // Failures carry it too, and peeking does not consume.
    expect((await a.call("send", { content: "x" })).text).toEndWith("📬 2 unread messages — call check");
    expect((await a.call("check", { peek: true })).text).toEndWith("📬 2 unread messages — call check");
    const partial = await a.call("check", { limit: 1 });
    expect(partial.text).toContain("one");
    expect(partial.text).toEndWith("📬 1 unread message — call check");
    const rest = await a.call("check");
    expect(rest.text).toContain("two");
    expect(rest.text).not.toContain("📬");
  });

  test("broadcast, search_messages, read_message, reply_to, from filter", async () => {
    const e = env();
    await using a = await startMcp(e, { name: "anna" });
    await using b = await startMcp(e, { name: "bert" });
    await using c = await startMcp(e, { name: "cleo" });
    // Start-up registration runs in the background; any tool call waits for it.
    for (const s of [a, b, c]) await s.call("list_instances");
    expect((await a.call("broadcast", { content: "deploying the migration now" })).text).toContain("Broadcast to 2 agents");
    const first = await b.call("send", { to: "anna", content: "the migration failed on step 3" });
    const id = Number(/#(\d+)/.exec(first.text)![1]);
    await c.call("send", { to: "anna", content: "unrelated chatter" });
    const fromBert = await a.call("check", { from: "bert" });
    expect(fromBert.text).toContain("step 3");
    expect(fromBert.text).not.toContain("chatter");
    await a.call("send", { to: "bert", content: "rolling back", reply_to: id });
    expect((await b.call("check")).text).toContain(`(reply to #${id})`);
    const found = await a.call("search_messages", { query: "migration" });
    expect(found.text).toContain("3 messages match:"); // the broadcast is one message per recipient
    expect(found.text).toContain("step 3");
    expect((await a.call("search_messages", { query: "zebra" })).text).toStartWith('No messages match "zebra".');
    const one = await a.call("read_message", { message_id: id });
    expect(one.text).toContain("the migration failed on step 3");
    expect((await a.call("read_message", { id: 999_999 })).isError).toBe(true);
  });

  test("rename: the new name receives, the old one forwards", async () => {
    const e = env();
    await using a = await startMcp(e, { name: "fred" });
    await using b = await startMcp(e, { name: "wilma" });
    expect((await a.call("rename", { new_name: "fred-debugging" })).text).toContain("Renamed fred to fred-debugging");
    expect((await b.call("send", { to: "fred", content: "still there?" })).text).toContain("fred was renamed, so it went to fred-debugging");
    expect((await a.call("check")).text).toContain("still there?");
    expect((await a.call("list_instances")).text).toContain("fred-debugging (you)");
  });
});
