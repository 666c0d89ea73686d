/** hostPid's wrapper rules: what stands between an AI host and `ipc` when installed from npm. */
import { expect, test } from "bun:test";
import { isWrapper, parentPid, processArgs } from "../../src/client/host-process.ts";

test("npm/npx, our launcher and `sh -c` starting them are wrappers; hosts, shells and other programs are not", () => {
  for (const args of [
    ["npm", "exec", "agent-ipc", "mcp"], // npx sets its title to this
    ["/usr/bin/node", "/usr/lib/node_modules/npm/bin/npx-cli.js", "-y", "agent-ipc", "mcp"],
    ["node", "/home/u/.npm/_npx/1/node_modules/.bin/agent-ipc", "mcp"],
    ["node", "/app/node_modules/agent-ipc/bin/ipc.js", "hook", "claude-code"],
    ["bun", "/app/node_modules/.bin/ipc", "mcp"],
    ["/bin/sh", "-c", "agent-ipc mcp"],
    ["sh", "-c", "'/opt/bin/ipc' hook claude-code"],
    ["bunx", "agent-ipc", "mcp"],
  ]) {
    expect({ args, wrapper: isWrapper(args) }).toEqual({ args, wrapper: true });
  }
  for (const args of [
    ["claude"],
    ["node", "/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js"],
    ["bun", "test"],
    ["/bin/bash"],
    ["sh", "-c", "'/usr/bin/bun' '/work/ipc/src/main.ts' 'mcp'; exit $?"],
    ["gemini"],
    [],
  ]) {
    expect({ args, wrapper: isWrapper(args) }).toEqual({ args, wrapper: false });
  }
});

test.skipIf(process.platform === "win32")("this process's own details are read; the test runner (no wrapper) is the host of what it starts", () => {
  expect(parentPid(process.pid)).toBe(process.ppid);
  expect(processArgs(process.pid).length).toBeGreaterThan(0);
  const child = Bun.spawnSync([process.execPath, "-e", `import { hostPid } from "${import.meta.dir}/../../src/client/host-process.ts"; console.log(hostPid())`]);
  expect(Number(child.stdout.toString().trim())).toBe(process.pid);
});
