/** `ipc cluster key`: makes the space key every broker of a cluster space holds (docs/security.md#the-cluster-nats). */
import { defineCommand } from "citty";
import { brokerArgs, configFrom } from "../cli/args.ts";
import { usageError } from "../cli/errors.ts";
import { emit } from "../cli/output.ts";
import { makeSpaceKey } from "../cluster/space-key.ts";

export default defineCommand({
  meta: { name: "cluster", description: "Cluster tools: ipc cluster key makes the space key to copy to every broker of a space (docs/cluster.md)" },
  args: {
    action: { type: "positional", required: true, description: "key" },
    space: { type: "string", description: "the space (env IPC_SPACE, default \"default\")", valueHint: "name" },
    out: { type: "string", description: "where to write it (env IPC_SPACE_KEY, default $IPC_HOME/space-SPACE.key)", valueHint: "file" },
    force: { type: "boolean", description: "replace an existing key (then copy the new one to every broker of the space); without it an existing key is kept" },
    home: brokerArgs.home,
    json: brokerArgs.json,
  },
  run({ args }) {
    if (args.action !== "key") throw usageError(`unknown action "${args.action}": ipc cluster key`);
    // The cluster settings exist only with --nats: any server names a space here (nothing connects).
    const config = configFrom(args, { nats: "nats://127.0.0.1:4222", space: args.space, spaceKey: args.out });
    const c = config.cluster!;
    const made = makeSpaceKey(c.keyFile, args.force === true);
    emit(
      config,
      () =>
        (made ? `Made the key of space ${c.space}: ${c.keyFile} (mode 0600).\n` : `Space ${c.space} already has a key here, kept: ${c.keyFile} (--force makes a new one, to copy to every broker).\n`) +
        `Copy it to every broker of the space, to the same place in its IPC_HOME (or give --space-key FILE), keeping it 0600; anyone holding it can act as a broker of the space.`,
      { space: c.space, file: c.keyFile, made },
    );
  },
});
