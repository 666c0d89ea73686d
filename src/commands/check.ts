/** `ipc check [--wait S] [--peek] [--from NAME]`: read (and by default consume) unread messages. */
import { defineCommand } from "citty";
import { actingAgent, asHeader, parseId } from "../cli/agent.ts";
import { brokerArgs, configFrom, identityArgs } from "../cli/args.ts";
import { usageError } from "../cli/errors.ts";
import { emit, formatMessages } from "../cli/output.ts";
import { REQUEST_TIMEOUT_MS } from "../client/broker-client.ts";

export default defineCommand({
  meta: { name: "check", description: "Show unread messages, oldest first, and mark them read" },
  args: {
    wait: { type: "string", description: "if none are waiting, wait up to this many seconds for one (push, no polling)", valueHint: "seconds" },
    peek: { type: "boolean", description: "show without marking read" },
    from: { type: "string", description: "only messages from this name", valueHint: "name" },
    limit: { type: "string", description: "at most this many (default 100)", valueHint: "n" },
    ...identityArgs,
    ...brokerArgs,
  },
  async run({ args }) {
    const config = configFrom(args);
    const { agent } = actingAgent(config, true);
    const wait = args.wait === undefined ? undefined : Number(args.wait);
    if (wait !== undefined && !(wait >= 0 && wait <= 3600)) throw usageError(`--wait takes seconds from 0 to 3600, got "${args.wait}"`);
    const limit = parseId(args.limit, "--limit");
    const r = await agent.call(
      "check",
      {
        ...(wait !== undefined && { wait }),
        ...(args.peek && { peek: true }),
        ...(args.from !== undefined && { from: args.from }),
        ...(limit !== undefined && { limit }),
      },
      REQUEST_TIMEOUT_MS + (wait ?? 0) * 1000,
    );
    emit(config, () => asHeader(agent, config.color) + formatMessages(r.messages, config.color), r);
  },
});
