/** `ipc share-file TO PATH [--description TEXT]`: send a text file's content. */
import { defineCommand } from "citty";
import { actingAgent, asWho } from "../cli/agent.ts";
import { brokerArgs, configFrom, identityArgs } from "../cli/args.ts";
import { emit, palette } from "../cli/output.ts";
import { shareFile } from "../share/share-file.ts";

export default defineCommand({
  meta: { name: "share-file", description: "Send a text file's content to another agent (up to the content limit, 1 MiB by default; secrets refused without --allow-sensitive)" },
  args: {
    to: { type: "positional", required: true, description: "recipient name" },
    path: { type: "positional", required: true, description: "the text file to share" },
    description: { type: "string", description: "a note about the file", valueHint: "text" },
    "allow-sensitive": {
      type: "boolean",
      description: "send it even if it looks like a secret (IPC_HOME, ~/.ssh, ~/.aws, .env*, private keys, …; refused by default)",
    },
    ...identityArgs,
    ...brokerArgs,
  },
  async run({ args }) {
    const config = configFrom(args);
    const { agent } = actingAgent(config);
    const r = await shareFile(agent, {
      to: args.to,
      path: args.path,
      allowSensitive: args["allow-sensitive"] === true,
      overridable: true,
      ...(args.description !== undefined && { description: args.description }),
    });
    const p = palette(config.color);
    emit(config, () => `${p.green("✔")} Shared ${r.filepath} with ${p.bold(r.to)} as #${r.message_id}${asWho(agent)} (${r.status})`, r);
  },
});
