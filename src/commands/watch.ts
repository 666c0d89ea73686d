/** `ipc watch`: print unread messages, then every new one as it arrives, until interrupted. */
import { defineCommand } from "citty";
import { agentFor } from "../cli/agent.ts";
import { brokerArgs, configFrom, identityArgs } from "../cli/args.ts";
import { formatMessage, palette, out } from "../cli/output.ts";
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
    const agent = agentFor(config);
    const show = (m: Message) =>
      out(config.json ? `${JSON.stringify(m)}\n` : `${formatMessage(m, config.color)}\n\n`);
    const consume = !args.peek;
    const { messages } = await agent.call("check", { peek: !consume, limit: 1000 });
    for (const m of messages) show(m);
    await agent.subscribe(show, consume);
    if (!config.json) {
      process.stderr.write(palette(config.color).dim(`Watching messages to ${agent.name}; Ctrl-C to stop.\n`));
    }
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    agent.close();
  },
});
