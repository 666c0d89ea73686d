/**
 * File claims across brokers (docs/cluster.md, docs/coordination.md): real
 * broker processes with separate IPC_HOMEs on one real three-node JetStream
 * cluster, driven by the real CLI (and raw clients where two requests must
 * leave at the same moment). A claim made on one broker conflicts on another,
 * is listed and enforced by the edit guard there, follows a rename, lapses
 * after the grace once its holder's broker stopped; of two brokers claiming
 * overlapping paths at once exactly one wins; with NATS down claims cannot
 * change but are still shown and enforced.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { clusterStatus, eventually, joined, clusterEnv, spaceKeyFile } from "../helpers/cluster-clients.ts";
import { natsCluster, type NatsCluster, natsSkip } from "../helpers/nats.ts";
import { type BrokerProcess, ipc, ipcEnv, type IpcEnv, ipcJson, startBrokerProcess, tempHome } from "../helpers/processes.ts";
import { RawClient, registered } from "../helpers/raw.ts";

/** The space key of this file's brokers (docs/security.md#the-cluster-nats). */
const SPACE_KEY = spaceKeyFile();

const SPACE = "cl";
/** The grace of broker B (IPC_CLAIM_GRACE_MINUTES): 6 s, so a lapse can be watched. */
const GRACE_S = 6;

let nats: NatsCluster;
let a: IpcEnv;
let b: IpcEnv;
let brokerA: BrokerProcess;
let brokerB: BrokerProcess;
let dir: string;

/** Polls `check` (bounded: `tries` × 100 ms) until it holds, for state that crosses NATS. */
const until = (check: () => Promise<boolean>, what: string, tries = 150) => eventually(async () => (await check()) || null, what, tries);

/** A project folder (a git root) with src/api/users.ts; its real path. */
function project(): string {
  const d = realpathSync(tempHome("ipc-cluster-claims-"));
  mkdirSync(join(d, ".git"));
  mkdirSync(join(d, "src", "api"), { recursive: true });
  writeFileSync(join(d, "src", "api", "users.ts"), "export {};\n");
  return d;
}

/** Claude Code's PreToolUse input for an Edit of `file` in `cwd`. */
const editInput = (cwd: string, file: string) =>
  JSON.stringify({ session_id: "s", hook_event_name: "PreToolUse", cwd, tool_name: "Edit", tool_input: { file_path: file, old_string: "a", new_string: "b" } });

/** The live claims of the project as broker `e` lists them (`ipc claims --json`), as `path:holder`. */
async function listed(e: IpcEnv, cwd = dir): Promise<string[]> {
  return (await ipcJson(e, ["claims"], { cwd })).claims.map((c: any) => `${c.path}:${c.holder}`);
}

describe.skipIf(natsSkip !== null)("file claims across brokers", () => {
  beforeAll(async () => {
    nats = await natsCluster(3);
    a = ipcEnv(clusterEnv(nats.urls, SPACE, SPACE_KEY));
    b = ipcEnv(clusterEnv(nats.urls, SPACE, SPACE_KEY, { IPC_CLAIM_GRACE_MINUTES: String(GRACE_S / 60) }));
    brokerA = await startBrokerProcess(a);
    brokerB = await startBrokerProcess(b);
    await joined(a.port);
    await joined(b.port);
    dir = project();
    for (const [e, name] of [[a, "barney"], [b, "fred"]] as const) expect((await ipc(e, ["register", name])).code).toBe(0);
    await joined(a.port, 2);
    await joined(b.port, 2);
  }, 60_000);

  afterAll(async () => {
    await brokerA?.stop();
    await brokerB?.stop();
    await nats?.[Symbol.asyncDispose]();
  });

  test("a claim on A: listed on B, CLAIM_CONFLICT on B naming holder, reason and expiry; shared coexist; release on A frees it for B", async () => {
    const mine = await ipcJson(a, ["claim", "src/api/**", "--reason", "auth refactor", "--ttl", "2h", "--as", "barney"], { cwd: dir });
    expect(mine.claims.map((c: any) => `${c.path}:${c.holder}:${c.holder_online}`)).toEqual(["src/api/**:barney:true"]);

    // B's view of the bucket follows (a watch, no request to A).
    await until(async () => (await listed(b)).includes("src/api/**:barney"), "A's claim listed on B");
    const all = await ipcJson(b, ["claims", "--all"], { cwd: tempHome() });
    expect(all.claims).toContainEqual(expect.objectContaining({ project: dir, path: "src/api/**", holder: "barney", reason: "auth refactor", holder_online: true }));
    const text = await ipc(b, ["claims"], { cwd: join(dir, "src") });
    expect(text.stdout).toContain("src/api/**  barney (exclusive, ends in ");

    const refused = await ipc(b, ["claim", "src/api/users.ts", "README.md", "--as", "fred"], { cwd: dir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("src/api/users.ts (overlaps src/api/**) is claimed by barney");
    expect(refused.stderr).toContain('"auth refactor"');
    expect(refused.stderr).toContain(mine.claims[0].expires_at);
    expect(refused.stderr).toContain("ipc send barney");
    // Nothing of a refused claim is kept, on either broker.
    expect(await listed(b)).toEqual(["src/api/**:barney"]);

    // Shared claims coexist across brokers; an exclusive one does not.
    expect((await ipc(a, ["claim", "docs/**", "--shared", "--as", "barney"], { cwd: dir })).code).toBe(0);
    expect((await ipc(b, ["claim", "docs/guide.md", "--shared", "--as", "fred"], { cwd: dir })).code).toBe(0);
    const exclusive = await ipc(a, ["claim", "docs/guide.md", "--as", "barney"], { cwd: dir });
    expect(exclusive.code).toBe(1);
    expect(exclusive.stderr).toContain("is claimed (shared) by fred");
    await until(async () => (await listed(a)).join(" ") === "docs/**:barney docs/guide.md:fred src/api/**:barney", "both shared claims on A");

    // Release on A: B may claim at once (its compare-and-set reads the newer value if its view lags).
    const released = await ipcJson(a, ["release", "src/api/**", "--as", "barney"], { cwd: dir });
    expect(released.released).toBe(1);
    expect((await ipc(b, ["claim", "src/api/users.ts", "--as", "fred"], { cwd: dir })).code).toBe(0);
    await until(async () => (await listed(a)).includes("src/api/users.ts:fred"), "B's claim listed on A");
    expect((await ipcJson(b, ["release", "--as", "fred"], { cwd: dir })).released).toBe(2);
    expect((await ipcJson(a, ["release", "--as", "barney"], { cwd: dir })).released).toBe(1);
    await until(async () => (await listed(b)).length === 0, "no claims left on B");
  }, 90_000);

  test("machines with their own clones of one repository (one origin, different folders): a claim on A holds on B", async () => {
    const clones = [project(), project()];
    for (const [d, url] of [[clones[0]!, "git@github.com:team/shared.git"], [clones[1]!, "https://github.com/team/shared.git"]] as const) {
      expect(Bun.spawnSync(["git", "-C", d, "init", "-q"]).exitCode).toBe(0);
      expect(Bun.spawnSync(["git", "-C", d, "remote", "add", "origin", url]).exitCode).toBe(0);
    }
    const mine = await ipcJson(a, ["claim", "src/api/**", "--reason", "schema", "--as", "barney"], { cwd: clones[0] });
    expect(mine.project).toBe("git:github.com/team/shared");
    await until(async () => (await listed(b, clones[1])).includes("src/api/**:barney"), "A's claim in B's clone");
    const refused = await ipc(b, ["claim", "src/api/users.ts", "--as", "fred"], { cwd: clones[1] });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("claimed by barney");
    const denied = await ipc(b, ["guard", "hook", "--as", "fred"], { stdin: editInput(clones[1]!, join(clones[1]!, "src/api/users.ts")), cwd: clones[1] });
    expect(JSON.parse(denied.stdout).hookSpecificOutput.permissionDecision).toBe("deny");
    expect((await ipc(a, ["release", "--as", "barney"], { cwd: clones[0] })).code).toBe(0);
  }, 60_000);

  test("ipc guard hook run against B denies an edit of a file claimed on A; the holder itself and other files pass", async () => {
    const claimed = await ipcJson(a, ["claim", "src/api/**", "--reason", "guarded", "--as", "barney"], { cwd: dir });
    const guard = (as: string, file: string) => ipc(b, ["guard", "hook", "--as", as], { stdin: editInput(dir, join(dir, file)), cwd: dir });
    const denied = await eventually(async () => {
      const r = await guard("fred", "src/api/users.ts");
      return r.stdout === "" ? null : r;
    }, "B's guard to deny");
    const out = JSON.parse(denied.stdout).hookSpecificOutput;
    expect(out.permissionDecision).toBe("deny");
    expect(out.permissionDecisionReason).toContain("src/api/users.ts is claimed by barney via its claim on src/api/**");
    expect(out.permissionDecisionReason).toContain(claimed.claims[0].expires_at);
    for (const [as, file] of [["barney", "src/api/users.ts"], ["fred", "README.md"]] as const) {
      const r = await guard(as, file);
      expect([r.code, r.stdout, r.stderr]).toEqual([0, "", ""]);
    }
    expect((await ipcJson(a, ["release", "--as", "barney"], { cwd: dir })).released).toBe(1);
  }, 60_000);

  test("both brokers claim overlapping paths at the same moment, again and again: exactly one wins each time", async () => {
    await using onA = await registered(a.port, "racer-a");
    await using onB = await registered(b.port, "racer-b");
    await joined(a.port, 4);
    await joined(b.port, 4);
    const P = dir;
    const wins = { a: 0, b: 0 };
    for (let i = 0; i < 12; i++) {
      // The two requests leave together; each broker checks against its own view and writes by compare-and-set.
      const [ra, rb] = await Promise.all([
        onA.call({ id: i, op: "claim", project: P, paths: [`race${i}/x.ts`], reason: "a" }),
        onB.call({ id: i, op: "claim", project: P, paths: [`race${i}/**`], reason: "b" }),
      ]);
      expect([ra.ok, rb.ok].filter((ok) => ok === true)).toHaveLength(1);
      const loser = ra.ok === true ? rb : ra;
      expect(loser.error.code).toBe("CLAIM_CONFLICT");
      expect(loser.error.message).toContain(`is claimed by ${ra.ok === true ? "racer-a" : "racer-b"}`);
      if (ra.ok === true) wins.a++;
      else wins.b++;
      const holders = (await onB.call({ id: 100 + i, op: "claims", project: P })).claims.filter((c: any) => c.path.startsWith(`race${i}/`));
      expect(holders).toHaveLength(1);
    }
    expect(wins.a + wins.b).toBe(12);
    // And through the CLI: two processes at once.
    const [ca, cb] = await Promise.all([
      ipc(a, ["claim", "race-cli/a.ts", "--as", "barney"], { cwd: dir }),
      ipc(b, ["claim", "race-cli", "--as", "fred"], { cwd: dir }),
    ]);
    expect([ca.code, cb.code].sort()).toEqual([0, 1]);
    expect((ca.code === 1 ? ca : cb).stderr).toContain(`is claimed by ${ca.code === 0 ? "barney" : "fred"}`);
    for (const c of [onA, onB]) await c.call({ id: 999, op: "release", project: P });
    await ipc(a, ["release", "--as", "barney"], { cwd: dir });
    await ipc(b, ["release", "--as", "fred"], { cwd: dir });
  }, 90_000);

  test("a rename on A: its claims follow, as B sees them", async () => {
    await using wes = await registered(a.port, "wes");
    expect((await wes.call({ id: 1, op: "claim", project: dir, paths: ["lib/**"], reason: "renaming" })).ok).toBe(true);
    await until(async () => (await listed(b)).includes("lib/**:wes"), "wes's claim on B");
    expect((await wes.call({ id: 2, op: "rename", new_name: "wesley" })).ok).toBe(true);
    await until(async () => (await listed(b)).join(" ") === "lib/**:wesley", "the claim under the new name on B");
    const refused = await ipc(b, ["claim", "lib/x.ts", "--as", "fred"], { cwd: dir });
    expect(refused.stderr).toContain("is claimed by wesley");
    // Released from A under the new name.
    expect((await wes.call({ id: 3, op: "release", project: dir })).released).toBe(1);
  }, 60_000);

  test("a holder that moves from A to B keeps its claim there and releases it from B", async () => {
    // Held while this connection is open (no seat): closing it frees the name once A's heartbeat says so.
    const onA = await RawClient.connect(a.port);
    expect((await onA.call({ id: 1, op: "register", name: "mover" })).ok).toBe(true);
    expect((await onA.call({ id: 2, op: "claim", project: dir, paths: ["moving/**"] })).ok).toBe(true);
    onA.close();
    const onB = await eventually(async () => {
      const x = await RawClient.connect(b.port);
      if ((await x.call({ id: 1, op: "register", name: "mover" })).ok === true) return x;
      x.close();
      return null;
    }, "B to take the name mover", 200);
    await using _mover = onB;
    const held = (await onB.call({ id: 2, op: "claims", project: dir })).claims.find((c: any) => c.holder === "mover");
    expect(held).toMatchObject({ path: "moving/**", holder_online: true });
    expect((await onB.call({ id: 3, op: "release", project: dir })).released).toBe(1);
    await until(async () => !(await listed(a)).includes("moving/**:mover"), "the release seen on A");
  }, 60_000);

  test("the claim of a holder whose broker stopped lapses after the grace", async () => {
    const c = ipcEnv(clusterEnv(nats.urls, SPACE, SPACE_KEY));
    await using brokerC = await startBrokerProcess(c);
    await joined(c.port);
    expect((await ipc(c, ["register", "wilma"])).code).toBe(0);
    expect((await ipc(c, ["claim", "wilma/**", "--as", "wilma"], { cwd: dir })).code).toBe(0);
    const online = await eventually(async () => (await ipcJson(b, ["claims"], { cwd: dir })).claims.find((x: any) => x.holder === "wilma"), "wilma's claim on B");
    expect(online.holder_online).toBe(true);
    // A live holder on another broker keeps its claim beyond the grace.
    await Bun.sleep((GRACE_S + 1) * 1000);
    expect((await ipc(b, ["claim", "wilma/a.ts", "--as", "fred"], { cwd: dir })).stderr).toContain("is claimed by wilma");

    await brokerC.stop(); // its names are written not live on the way out
    const gone = await eventually(async () => {
      const x = (await ipcJson(b, ["claims"], { cwd: dir })).claims.find((y: any) => y.holder === "wilma");
      return x !== undefined && x.holder_online === false ? x : null;
    }, "B to see wilma gone");
    expect(Date.parse(gone.expires_at) - Date.now()).toBeLessThanOrEqual(GRACE_S * 1000);
    const within = await ipc(b, ["claim", "wilma/a.ts", "--as", "fred"], { cwd: dir });
    expect(within.stderr).toContain("wilma has no live session");
    await until(async () => !(await listed(b)).includes("wilma/**:wilma"), "the claim to lapse", 150);
    expect((await ipc(b, ["claim", "wilma/a.ts", "--as", "fred"], { cwd: dir })).code).toBe(0);
    expect((await ipcJson(b, ["release", "--as", "fred"], { cwd: dir })).released).toBe(1);
  }, 90_000);

  test("NATS down: claim and release are refused saying so; claims and the guard answer from the last view; after NATS is back claims work again", async () => {
    expect((await ipc(a, ["claim", "src/**", "--reason", "before the outage", "--as", "barney"], { cwd: dir })).code).toBe(0);
    await until(async () => (await listed(b)).includes("src/**:barney"), "the claim on B");
    for (let i = 0; i < 3; i++) await nats.kill(i);
    await until(async () => (await clusterStatus(a.port)).connected === false && (await clusterStatus(b.port)).connected === false, "both brokers to see NATS gone");

    const refused = await ipc(a, ["claim", "lib/**", "--as", "barney"], { cwd: dir });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("cannot reach the cluster's NATS servers");
    expect(refused.stderr).toContain("Try again once NATS is back");
    const release = await ipc(a, ["release", "--as", "barney"], { cwd: dir });
    expect(release.code).toBe(3);
    expect(release.stderr).toContain("cannot reach the cluster's NATS servers");
    // The last view still answers, and the guard still enforces it.
    expect(await listed(b)).toEqual(["src/**:barney"]);
    const denied = await ipc(b, ["guard", "hook", "--as", "fred"], { stdin: editInput(dir, join(dir, "src/api/users.ts")), cwd: dir });
    expect(JSON.parse(denied.stdout).hookSpecificOutput.permissionDecision).toBe("deny");

    await Promise.all([0, 1, 2].map((i) => nats.start(i)));
    await joined(a.port);
    await joined(b.port);
    const back = await eventually(async () => {
      const r = await ipc(a, ["release", "--as", "barney", "--json"], { cwd: dir });
      return r.code === 0 ? JSON.parse(r.stdout) : null;
    }, "release to work once NATS is back", 300);
    expect(back.released).toBe(1);
    await until(async () => (await listed(b)).length === 0, "the release seen on B", 300);
    expect((await ipc(b, ["claim", "src/api/users.ts", "--as", "fred"], { cwd: dir })).code).toBe(0);
  }, 120_000);
});
