/**
 * `ipc ui`: make sure a broker runs, then print (or open) a one-time login
 * link to its browser dashboard. `--open` gives the browser a 0600 file that
 * forwards to the link, never the link itself: a command line is readable by
 * every local user (src/ui/login-file.ts).
 */
import { defineCommand } from "citty";
import { brokerArgs, configFrom } from "../cli/args.ts";
import { emit, palette } from "../cli/output.ts";
import { connectBroker } from "../client/connect.ts";
import { writeLoginFile } from "../ui/login-file.ts";

/** The program that opens a URL in the desktop's browser. */
function opener(): string[] {
  if (process.platform === "darwin") return ["open"];
  if (process.platform === "win32") return ["cmd", "/c", "start", ""];
  return ["xdg-open"];
}

export default defineCommand({
  meta: { name: "ui", description: "Open the live dashboard in a browser: prints a one-time login link (loopback only)" },
  args: {
    ...brokerArgs,
    open: { type: "boolean", description: "also open the link in the default browser" },
  },
  async run({ args }) {
    const config = configFrom(args);
    const { client } = await connectBroker(config);
    const r = await client.request("ui", {}, 30_000);
    client.close();
    let opened = false;
    if (args.open) {
      try {
        // The opener's command line and environment carry only the file's path, never the code.
        const file = writeLoginFile(config.home, r.url);
        const proc = Bun.spawn([...opener(), file], { stdio: ["ignore", "ignore", "ignore"] });
        opened = (await proc.exited) === 0;
      } catch {
        opened = false;
      }
    }
    const p = palette(config.color);
    emit(
      config,
      () =>
        [
          `${p.green("●")} dashboard: ${r.url}`,
          p.dim(`  one-time link, valid ${Math.round(r.expires_in_s / 60)} min, for you alone: it opens every message on this broker`),
          args.open && !opened ? p.yellow("  could not open a browser: open the link yourself") : "",
        ]
          .filter(Boolean)
          .join("\n"),
      { ok: true, ...r, opened },
    );
  },
});
