/** The MCP claim tool through the SDK client: claim, conflict naming the holder, list, release (docs/coordination.md). */
import { expect, test } from "bun:test";
import { projectId, projectRoot } from "../../src/claims/project.ts";
import { testBroker } from "../helpers/broker.ts";
import { inProcessMcp } from "./_in-process.ts";

test("claim, a conflict names holder and reason, list shows who holds what, release frees it", async () => {
  await using b = await testBroker();
  await using barney = await inProcessMcp(b.config, "barney");
  await using fred = await inProcessMcp(b.config, "fred");
  const root = projectRoot(process.cwd());
  // The repository's id: its origin remote when it has one (a clone), else its path.
  const project = projectId(root);

  const claimed = await barney.call("claim", { action: "claim", paths: ["src/api/**"], reason: "auth refactor", ttl_minutes: 60 });
  expect(claimed.isError).toBe(false);
  expect(claimed.text).toContain(`Claimed in ${project}`);
  expect(claimed.text).toContain("src/api/**  barney (exclusive, ends in 60 min) — auth refactor");

  const refused = await fred.call("claim", { action: "claim", paths: [`${root}/src/api/users.ts`] });
  expect(refused.isError).toBe(true);
  expect(refused.text).toContain("src/api/users.ts (overlaps src/api/**) is claimed by barney");
  expect(refused.text).toContain("auth refactor");

  expect((await fred.call("claim", { action: "list" })).text).toContain("src/api/**  barney");
  expect((await fred.call("list_instances")).text).toContain("File claims here (ipc claims; MCP claim list):\nsrc/api/**  barney");
  expect((await fred.call("claim", { action: "claim" })).isError).toBe(true);
  expect((await fred.call("claim", { action: "claim", paths: ["../elsewhere"] })).isError).toBe(true);

  expect((await barney.call("claim", { action: "release" })).text).toBe(`Released 1 claim in ${project}.`);
  expect((await fred.call("claim", { action: "claim", path: ["src/api/users.ts"], shared: true })).isError).toBe(false);
  expect((await fred.call("claim", { action: "list" })).text).toContain("src/api/users.ts  fred (shared");
});
