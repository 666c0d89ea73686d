/** share_file: send a text file's content to another agent (src/share/share-file.ts does the work). */
import * as v from "valibot";
import { shareFile } from "../../share/share-file.ts";
import { sendStatusText } from "../format.ts";
import { To } from "./_fields.ts";
import { defineTool } from "./_tool.ts";

export const ShareFileInput = v.object({
  to: To,
  path: v.pipe(v.string(), v.minLength(1, "path is empty: give the file to share"), v.description("the text file to share; relative paths are from this server's working directory")),
  description: v.optional(v.pipe(v.string(), v.description("a note about the file (optional)"))),
});

export default defineTool({
  name: "share_file",
  title: "Share a file",
  description:
    'Send the content of a text file to another agent (they receive the text and the path). Use for "share src/app.ts with fred", "send barney the config file". Binary files, directories, oversize files and secrets (keys, credentials, .env, the ipc home) are refused.',
  input: ShareFileInput,
  aliases: { to_id: "to", filepath: "path", file_path: "path" },
  example: '{"to": "fred", "path": "src/app.ts", "description": "the file I changed"}',
  hints: { readOnlyHint: false, openWorldHint: false },
  async run(args, { agent }) {
    // Never allowSensitive: an agent may be prompt-injected, so secrets are refused here for good.
    const r = await shareFile(agent, { ...args, allowSensitive: false, overridable: false });
    return `Shared ${r.filepath} with ${r.to} as message #${r.message_id}: ${sendStatusText(r.to, r.status, args.to)}.`;
  },
});
