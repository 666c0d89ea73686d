/** `ipc list`: registered instances, who is online, unread counts. */
import { defineCommand } from "citty";
import { agentFor } from "../cli/agent.ts";
import { brokerArgs, configFrom } from "../cli/args.ts";
import { emit, formatInstances, palette } from "../cli/output.ts";

export default defineCommand({
  meta: { name: "list", description: "List registered instances: online, last seen, unread" },
  args: { ...brokerArgs },
  async run({ args }) {
    const config = configFrom(args);
    const { instances } = await agentFor(config).call("list", {});
    const p = palette(config.color);
    emit(
      config,
      () => {
        if (instances.length === 0) return p.dim("No instances registered yet: ipc register NAME");
        return formatInstances(instances, config.color);
      },
      { instances },
    );
  },
});
