/** `ipc doctor`: diagnose the broker, port, secret, database, sessions and AI host configs (exit 1 on problems). */
import { defineCommand } from "citty";
import { resolve } from "node:path";
import { brokerArgs, configFrom } from "../cli/args.ts";
import { emit, flushOutput } from "../cli/output.ts";
import { selfCommand } from "../client/connect.ts";
import { hostDirs } from "../config.ts";
import { diagnose, renderReport } from "../doctor/doctor.ts";

export default defineCommand({
  meta: { name: "doctor", description: "Check the installation: broker, port, secret, database, sessions, AI host configs; exit 1 on problems" },
  args: {
    home: brokerArgs.home,
    host: brokerArgs.host,
    port: brokerArgs.port,
    dir: { type: "string", description: "project directory whose host configs to check (default: the current directory)", valueHint: "dir" },
    json: brokerArgs.json,
  },
  async run({ args }) {
    const config = configFrom({ ...args, spawn: false });
    const report = await diagnose({ config, places: { ...hostDirs(), project: resolve(args.dir ?? ".") }, self: selfCommand(), broker: null });
    emit(config, () => renderReport(report, config.color), report);
    if (!report.ok) {
      // Exit 1 without an error line: the report already says what is wrong.
      await flushOutput();
      process.exit(1);
    }
  },
});
