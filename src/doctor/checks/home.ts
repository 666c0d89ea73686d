/**
 * Doctor: IPC_HOME and its folders are private (0700) and the files in them —
 * database, sessions, large messages, log, lock, … — are private (0600).
 */
import { type Stats, lstatSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { foreignHomeMessage, foreignOwner } from "../../home/owner.ts";
import { type Check, type Finding, octal, q } from "../check.ts";

function stat(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

/** Regular files directly in `dir` (none when it does not exist). */
function filesIn(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(dir, e.name));
  } catch {
    return [];
  }
}

/** IPC_HOME and its files: existence and modes (modes are not checked on Windows). */
export const homeCheck: Check = ({ config }) => {
  const home = config.home;
  const s = stat(home);
  if (s === null) {
    return [{ check: "home", status: "info", message: `IPC_HOME ${home} does not exist yet (the first ipc command creates it, mode 0700)` }];
  }
  if (!s.isDirectory()) {
    return [{ check: "home", status: "fail", message: `IPC_HOME ${home} is not a directory`, fix: `move it aside, or point IPC_HOME elsewhere` }];
  }
  if (process.platform === "win32") return [{ check: "home", status: "ok", message: `IPC_HOME ${home}` }];
  const foreign = foreignOwner(home);
  if (foreign !== null) {
    const [sentence, fix] = foreignHomeMessage(home, foreign.owner, foreign.me).split(". Use ");
    return [{ check: "home", status: "fail", message: sentence!, fix: `use ${fix}` }];
  }
  const out: Finding[] = [];
  // IPC_HOME and its folders (sessions, large-messages, auto-check, …), one level deep.
  const dirs = [home, ...readdirSync(home, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(home, e.name))];
  const openDirs = dirs.filter((d) => (stat(d)!.mode & 0o077) !== 0);
  if (openDirs.length === 0) out.push({ check: "home", status: "ok", message: `IPC_HOME ${home} (0700)` });
  else {
    out.push({
      check: "home",
      status: "fail",
      message: `other users can open ${openDirs.map((d) => `${d} (${octal(stat(d)!.mode)})`).join(", ")}`,
      fix: `chmod 700 ${openDirs.map(q).join(" ")}`,
    });
  }
  const files = dirs.flatMap(filesIn);
  const open = files.filter((f) => (stat(f)!.mode & 0o077) !== 0);
  if (open.length === 0) {
    out.push({ check: "home", status: "ok", message: `${files.length} file${files.length === 1 ? "" : "s"} in IPC_HOME, all private (0600)` });
  } else {
    const shown = open.slice(0, 3).map((f) => `${relative(home, f)} (${octal(stat(f)!.mode)})`);
    out.push({
      check: "home",
      status: "fail",
      message: `${open.length} file${open.length === 1 ? " is" : "s are"} readable by other users: ${shown.join(", ")}${open.length > 3 ? ", …" : ""}`,
      fix: `chmod 600 ${open.map(q).join(" ")}`,
    });
  }
  return out;
};
