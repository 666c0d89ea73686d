/** Doctor: every saved session ($IPC_HOME/sessions/<name>.json) parses and names its own file. */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { paths } from "../../config.ts";
import { SavedSession } from "../../client/session-store.ts";
import { type Check, q } from "../check.ts";

/** The saved sessions of the CLI and MCP server. */
export const sessionsCheck: Check = ({ config }) => {
  const dir = paths.sessions(config);
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith(".json"));
  } catch {
    return [{ check: "sessions", status: "info", message: "no saved sessions yet" }];
  }
  const names: string[] = [];
  const bad: string[] = [];
  for (const f of files) {
    try {
      const s = v.parse(SavedSession, JSON.parse(readFileSync(join(dir, f), "utf8")));
      if (`${s.name}.json` !== f) throw new Error("name mismatch");
      names.push(s.name);
    } catch {
      bad.push(join(dir, f));
    }
  }
  if (bad.length > 0) {
    return [{
      check: "sessions",
      status: "fail",
      message: `${bad.length} saved session${bad.length === 1 ? " is" : "s are"} unreadable: ${bad.slice(0, 3).join(", ")}`,
      fix: `remove ${bad.length === 1 ? "it" : "them"} and register again: rm ${bad.map(q).join(" ")}`,
    }];
  }
  if (names.length === 0) return [{ check: "sessions", status: "info", message: "no saved sessions yet" }];
  return [{ check: "sessions", status: "ok", message: `${names.length} saved session${names.length === 1 ? "" : "s"}: ${names.join(", ")}` }];
};
