/** `ipc register NAME`: claim a name; later commands act as it. */
import { defineCommand } from "citty";
import * as v from "valibot";
import { agentFor } from "../cli/agent.ts";
import { brokerArgs, configFrom } from "../cli/args.ts";
import { emit, palette } from "../cli/output.ts";
import { EXIT, IpcError } from "../protocol/errors.ts";
import { Name } from "../protocol/names.ts";

export default defineCommand({
  meta: { name: "register", description: "Register NAME; later commands act as it (its session is saved in $IPC_HOME/sessions)" },
  args: {
    name: { type: "positional", required: true, description: "1–32 letters, digits, - or _ (case-insensitive)" },
    takeover: { type: "boolean", description: "take the name even though another live session holds it (that session loses it)" },
    ...brokerArgs,
  },
  async run({ args }) {
    const config = configFrom(args);
    // A name that can never be registered is a usage error (exit 2), found before any broker is reached.
    const valid = v.safeParse(Name, args.name);
    if (!valid.success) throw new IpcError("INVALID_NAME", `register: ${valid.issues[0].message} (got ${JSON.stringify(args.name)})`, EXIT.usage);
    const r = await agentFor(config).register(args.name, { takeover: args.takeover === true });
    const p = palette(config.color);
    emit(
      config,
      () => `${p.green("✔")} Registered ${p.bold(r.name)}${r.queued > 0 ? ` — ${r.queued} message${r.queued === 1 ? "" : "s"} waiting: run ipc check` : ""}`,
      { name: r.name, queued: r.queued },
    );
  },
});
