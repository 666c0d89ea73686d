/** Channels and threads through the real CLI and a real broker process, and through the MCP tools (SDK client). */
import { describe, expect, test } from "bun:test";
import { inProcessMcp } from "../mcp/_in-process.ts";
import { testBroker } from "../helpers/broker.ts";
import { type IpcEnv, ipc, ipcEnv, ipcJson, startBrokerProcess } from "../helpers/processes.ts";

const as = (e: IpcEnv, name: string, args: string[]) => ipc(e, [...args, "--as", name]);

describe("ipc channel, ipc send '#…', ipc history '#…', ipc thread", () => {
  test("members get posts like mail (not the sender), check marks channel and reply, history and thread show the conversation", async () => {
    const e = ipcEnv();
    await using _b = await startBrokerProcess(e);
    for (const n of ["barney", "fred", "wilma"]) expect((await ipc(e, ["register", n])).code).toBe(0);
    for (const n of ["barney", "fred"]) expect((await as(e, n, ["channel", "join", "#backend"])).stdout).toContain("#backend (joined)");
    expect((await as(e, "wilma", ["channel", "members", "backend"])).stdout).toBe("#backend: barney, fred\n");
    expect((await as(e, "wilma", ["channel", "list"])).stdout).toBe("#backend: barney, fred\n");

    const post = await ipcJson(e, ["send", "#backend", "schema v2 is merged", "--as", "barney"]);
    expect(post).toMatchObject({ to: "#backend", status: "queued" });
    const got = await as(e, "fred", ["check"]);
    expect(got.stdout).toContain("barney → #backend");
    expect(got.stdout).toContain("schema v2 is merged");
    const copyId = Number(/#(\d+) barney → #backend/.exec(got.stdout)![1]);
    expect((await ipcJson(e, ["check", "--as", "barney"])).messages).toEqual([]);
    expect((await ipcJson(e, ["check", "--as", "wilma"])).messages).toEqual([]);

    const reply = await ipcJson(e, ["send", "#backend", "great, migrating now", "--reply-to", String(copyId), "--as", "fred"]);
    const answer = await as(e, "barney", ["check"]);
    expect(answer.stdout).toContain(`↳ reply to #${post.message_id}`);

    const history = await as(e, "fred", ["history", "#backend"]);
    expect(history.stdout.indexOf("great, migrating now")).toBeLessThan(history.stdout.indexOf("schema v2 is merged"));
    const refused = await as(e, "wilma", ["history", "#backend"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("only members read its history");

    const thread = await ipcJson(e, ["thread", String(reply.message_id), "--as", "barney"]);
    expect(thread.messages.map((m: any) => [m.id, m.content])).toEqual([
      [post.message_id, "schema v2 is merged"],
      [reply.message_id, "great, migrating now"],
    ]);
    expect((await as(e, "fred", ["channel", "leave", "#backend"])).stdout).toBe("#backend: barney\n");
    expect((await as(e, "fred", ["send", "#backend", "still here?"])).code).toBe(1);
  });
});

describe("MCP: channels tool, send to #channel, read_message thread", () => {
  test("join, post, the other member's check, the thread", async () => {
    await using b = await testBroker();
    await using barney = await inProcessMcp(b.config, "barney");
    await using fred = await inProcessMcp(b.config, "fred");
    expect((await barney.call("channels", { action: "join", channel: "#ops" })).text).toStartWith("#ops (joined): barney\n");
    expect((await fred.call("channels", { action: "join", channel: "#ops" })).text).toStartWith("#ops (joined): barney, fred");
    expect((await fred.call("channels", { action: "members" })).isError).toBe(true);
    expect((await fred.call("channels", { action: "list" })).text).toStartWith("#ops (joined): barney, fred");

    const sent = await barney.call("send", { to: "#ops", content: "deploy at 5?" });
    expect(sent.text).toMatch(/^Sent message #(\d+) to #ops/);
    const root = Number(/#(\d+)/.exec(sent.text)![1]);
    const inbox = await fred.call("check");
    expect(inbox.text).toContain("from barney [in #ops]");
    const copy = Number(/=== #(\d+) from barney \[in #ops\]/.exec(inbox.text)![1]);
    expect((await fred.call("send", { to: "#ops", content: "fine by me", reply_to: copy })).isError).toBe(false);
    const thread = await barney.call("read_message", { message_id: root, thread: true });
    expect(thread.text).toContain("deploy at 5?");
    expect(thread.text).toContain(`(reply to #${root})`);
    expect(thread.text.indexOf("deploy at 5?")).toBeLessThan(thread.text.indexOf("fine by me"));
    expect((await barney.call("send", { to: "#not a channel", content: "x" })).text).toContain("a channel is # and such a name");
  });
});
