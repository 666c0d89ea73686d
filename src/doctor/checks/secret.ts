/**
 * Doctor: is a shared secret set, and does the running broker agree (its
 * `hello` says whether it requires one). Whether two secrets are equal
 * cannot be seen without registering; `register` reports a wrong one.
 */
import type { Check, Finding } from "../check.ts";

/** IPC_SHARED_SECRET here versus the broker's security mode (never prints the secret). */
export const secretCheck: Check = ({ config, broker }) => {
  const set = config.secret !== null;
  const here = set ? "IPC_SHARED_SECRET is set" : "no IPC_SHARED_SECRET (open mode, loopback only)";
  if (broker === null) return [{ check: "secret", status: "info", message: `${here}; no broker to compare with` }];
  if (set === broker.secure) {
    const agrees = set ? "the broker requires a secret too" : "the broker runs in open mode too";
    return [{ check: "secret", status: "ok", message: `${here}; ${agrees}` } satisfies Finding];
  }
  if (broker.secure) {
    return [{
      check: "secret",
      status: "fail",
      message: "the running broker requires a shared secret, but IPC_SHARED_SECRET is not set here: registering will fail",
      fix: "export IPC_SHARED_SECRET=<the broker's secret> (in the shell, and in the AI host's MCP server env)",
    }];
  }
  return [{
    check: "secret",
    status: "fail",
    message: "IPC_SHARED_SECRET is set here, but the running broker was started without one (open mode)",
    fix: "restart the broker with the secret in its environment: ipc stop && ipc serve --detach",
  }];
};
