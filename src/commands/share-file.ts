/** `ipc share-file TO PATH [--description TEXT]`: send a text file's content. */
import { defineCommand } from "citty";
import { actingAgent, asWho } from "../cli/agent.ts";
import { brokerArgs, configFrom, identityArgs } from "../cli/args.ts";
import { emit, palette } from "../cli/output.ts";
import { shareFile } from "../share/share-file.ts";

export default defineCommand({
  meta: { name: "share-file", description: "Send a text file's content to another agent (up to the content limit, 1 MiB by default)" },
  args: {
    to: { type: "positional", required: true, description: "recipient name" },
    path: { type: "positional", required: true, description: "the text file to share" },
    description: { type: "string", description: "a note about the file", valueHint: "text" },
    ...identityArgs,
    ...brokerArgs,
  },
  async run({ args }) {
    const config = configFrom(args);
    const { agent } = actingAgent(config);
    const r = await shareFile(agent, {
      to: args.to,
      path: args.path,
      ...(args.description !== undefined && { description: args.description }),
    });
    const p = palette(config.color);
    emit(config, () => `${p.green("✔")} Shared ${args.path} with ${p.bold(r.to)} as #${r.message_id}${asWho(agent)} (${r.status})`, r);
  },
});
