/** `ipc invite`: a one-time pairing link for another machine (run on the broker's machine, by its owner). */
import { defineCommand } from "citty";
import { brokerArgs, configFrom } from "../cli/args.ts";
import { usageError } from "../cli/errors.ts";
import { emit } from "../cli/output.ts";
import { connectBroker } from "../client/connect.ts";
import { joinLine } from "../remote/link.ts";

/** Seconds in a duration such as `90s`, `10m`, `2h`, `7d` or plain seconds. @throws usage error. */
export function parseDuration(text: string): number {
  const m = /^(\d+)\s*(s|m|h|d)?$/i.exec(text.trim());
  if (!m) throw usageError(`--expires takes a duration such as 10m, 2h or 1d, got "${text}"`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[(m[2] ?? "s").toLowerCase() as "s" | "m" | "h" | "d"];
}

export default defineCommand({
  meta: { name: "invite", description: "Print a one-time `ipc join …` line that pairs another machine with this broker (needs `ipc serve --listen`)" },
  args: {
    home: brokerArgs.home,
    host: brokerArgs.host,
    port: brokerArgs.port,
    json: brokerArgs.json,
    name: { type: "string", description: "the machine's name on this broker (default: the joining machine's host name)", valueHint: "name" },
    expires: { type: "string", description: "how long the code may be used: 60s to 7d (default 10m)", valueHint: "10m" },
    address: { type: "string", description: "the address the other machine dials, when the listener's own is not it (a wildcard, NAT)", valueHint: "host" },
  },
  async run({ args }) {
    const config = configFrom({ ...args, spawn: false });
    const expires_s = args.expires === undefined ? undefined : parseDuration(args.expires);
    const { client } = await connectBroker(config, false);
    try {
      const r = await client.request("invite", { machine: args.name, expires_s, host: args.address });
      // Quoted: unquoted, a shell would cut the line at `&` (and zsh would glob `#` and `[…]`).
      const line = joinLine(r.link);
      emit(config, () => line, { ok: true, ...r, command: line });
      if (!config.json) {
        process.stderr.write(
          `Run that line on the other machine, quotes included: it works once, until ${r.expires_at}. The fingerprint pins this broker's certificate (${r.fingerprint}).\n`,
        );
      }
    } finally {
      client.close();
    }
  },
});
