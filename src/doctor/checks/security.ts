/**
 * Doctor: the security mode (docs/security.md). The broker's mode (key
 * required, or open), the per-home key file (path, mode bits), and
 * IPC_SHARED_SECRET here versus the broker's (never printing the secret).
 */
import { lstatSync } from "node:fs";
import { paths } from "../../config.ts";
import { readKey } from "../../home/key.ts";
import { type Check, type Finding, octal, q } from "../check.ts";
import { joinedBroker } from "./remote.ts";

/** Mode, key and secret findings; reads what the broker check saw. */
export const securityCheck: Check = ({ config, broker }) => {
  const out: Finding[] = [];
  if (broker?.open) {
    out.push({
      check: "security",
      status: "warn",
      message: `the broker runs in OPEN MODE (IPC_OPEN=1 / --open): any local user may connect${broker.sharedSecret ? "" : ", register any name, read its mail and send as it"}`,
      fix: "restart it without IPC_OPEN / --open: ipc stop && ipc serve --detach",
    });
  } else if (broker !== null) {
    out.push({ check: "security", status: "ok", message: `authentication required: clients prove this IPC_HOME's key${broker.sharedSecret ? " or the shared secret" : ""}` });
  }
  out.push(keyFinding(config));
  out.push(...secretFindings(config.secret !== null, broker));
  return out;
};

/** The key file: present, a regular file, private, readable. */
function keyFinding(config: { home: string }): Finding {
  const path = paths.key(config);
  let mode: number;
  try {
    const s = lstatSync(path);
    if (!s.isFile()) return { check: "security", status: "fail", message: `${path} is not a regular file`, fix: `remove it (rm ${q(path)}) and restart the broker: it makes a new key` };
    mode = s.mode;
  } catch {
    const remote = joinedBroker(config);
    if (remote !== null) return { check: "security", status: "info", message: `no local broker key, and none needed: this machine proves its machine key (remote.json) to the joined broker on ${remote}` };
    return { check: "security", status: "info", message: `no broker key yet (${path} is created by the first broker, mode 0600)` };
  }
  if (process.platform !== "win32" && (mode & 0o077) !== 0) {
    return { check: "security", status: "fail", message: `the broker key ${path} is readable by other users (${octal(mode)})`, fix: `chmod 600 ${q(path)}, then replace the key: rm ${q(path)} && ipc stop && ipc serve --detach` };
  }
  const r = readKey(config);
  if (r.key === null) return { check: "security", status: "fail", message: `cannot use the broker key: ${r.why}`, fix: `run ipc as the user who owns ${q(config.home)}, or remove the file and restart the broker` };
  return { check: "security", status: "ok", message: `broker key ${path} (${octal(mode)})` };
}

/** IPC_SHARED_SECRET here versus the broker's. */
function secretFindings(set: boolean, broker: Parameters<Check>[0]["broker"]): Finding[] {
  if (broker === null) {
    return [{ check: "security", status: "info", message: `${set ? "IPC_SHARED_SECRET is set" : "no IPC_SHARED_SECRET"}; no broker to compare with` }];
  }
  if (broker.trust === "secret") return [{ check: "security", status: "ok", message: "IPC_SHARED_SECRET is set and the running broker has the same secret" }];
  if (broker.trust === "key-only") {
    return [broker.sharedSecret
      ? {
          check: "security",
          status: "fail",
          message: "IPC_SHARED_SECRET here differs from the running broker's secret: ipc refuses that broker while it is set",
          fix: "use the same IPC_SHARED_SECRET everywhere (shells, AI host MCP env), or restart the broker with yours: ipc stop && ipc serve --detach",
        }
      : {
          check: "security",
          status: "fail",
          message: "IPC_SHARED_SECRET is set here, but the running broker was started without one: ipc refuses that broker while it is set",
          fix: "restart the broker with the secret in its environment (ipc stop && ipc serve --detach), or unset IPC_SHARED_SECRET here",
        }];
  }
  if (broker.sharedSecret) return [{ check: "security", status: "ok", message: "the broker also accepts its IPC_SHARED_SECRET (other users, legacy clients); this client proves the key" }];
  return [{ check: "security", status: "info", message: "no IPC_SHARED_SECRET: claude-ipc-mcp (legacy) clients are refused; set the same secret on both sides for them" }];
}
