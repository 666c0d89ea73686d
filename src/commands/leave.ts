/** `ipc leave`: undo `ipc join` — give up this machine's access and go back to a local broker. */
import { defineCommand } from "citty";
import { brokerArgs, configFrom } from "../cli/args.ts";
import { emit, palette } from "../cli/output.ts";
import { connectBroker } from "../client/connect.ts";
import { IpcError } from "../protocol/errors.ts";
import { readJoined, removeJoined } from "../remote/joined.ts";

export default defineCommand({
  meta: { name: "leave", description: "Undo ipc join: the remote broker forgets this machine, and clients here use a local broker again" },
  args: { home: brokerArgs.home, json: brokerArgs.json },
  async run({ args }) {
    const config = configFrom({ ...args, spawn: false });
    const joined = readJoined(config);
    if (joined === null) throw new IpcError("CONFLICT", `this IPC_HOME (${config.home}) has not joined a remote broker`, 2);
    // Best effort: a broker that cannot be reached (or already revoked us) still loses nothing by our leaving.
    let told = false;
    try {
      const { client } = await connectBroker(config, false);
      told = await client.request("leave", {}).then(() => true, () => false).finally(() => client.close());
    } catch {
      told = false;
    }
    removeJoined(config);
    const p = palette(config.color);
    emit(
      config,
      () =>
        `${p.green("✔")} Left ${joined.host}:${joined.port} (machine ${joined.machine})${told ? "" : p.yellow(" — the broker could not be told: ask its owner to run ipc revoke " + joined.machine)}; clients here use a local broker again.`,
      { ok: true, machine: joined.machine, told },
    );
  },
});
