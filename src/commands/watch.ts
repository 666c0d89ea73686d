/** `ipc watch`: print unread messages, then every new one as it arrives, until interrupted. */
import { defineCommand } from "citty";
import { actingAgent } from "../cli/agent.ts";
import { brokerArgs, configFrom, identityArgs } from "../cli/args.ts";
import { errOut, formatMessage, palette, out } from "../cli/output.ts";
import type { Message } from "../protocol/message.ts";

export default defineCommand({
  meta: { name: "watch", description: "Stream incoming messages (marking them read) until Ctrl-C" },
  args: {
    peek: { type: "boolean", description: "leave messages unread" },
    ...identityArgs,
    ...brokerArgs,
  },
  async run({ args }) {
    const config = configFrom(args);
    const { agent } = actingAgent(config);
    const shown = new Set<number>();
    const show = (m: Message) => {
      if (shown.has(m.id)) return;
      shown.add(m.id);
      out(config.json ? `${JSON.stringify(m)}\n` : `${formatMessage(m, config.color)}\n\n`);
    };
    const consume = !args.peek;
    // Subscribe first, then look at what was already waiting, so nothing falls in between
    // (a consuming subscription takes the backlog itself; --peek shows it once).
    await agent.subscribe(show, consume);
    if (!consume) for (const m of (await agent.call("check", { peek: true, limit: 1000 })).messages) show(m);
    if (!config.json) {
      errOut(palette(config.color).dim(`Watching messages to ${agent.name}; Ctrl-C to stop.\n`));
    }
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    agent.close();
  },
});
