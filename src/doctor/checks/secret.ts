/**
 * Doctor: is a shared secret set, and does the running broker agree: its
 * `hello` says whether it requires one, and `verify` (an HMAC proof over a
 * fresh nonce, nothing else done) whether ours is the same secret.
 */
import { connectBroker } from "../../client/connect.ts";
import type { Config } from "../../config.ts";
import { hmacProof, PROOF_SUBJECTS } from "../../protocol/auth.ts";
import { IpcError } from "../../protocol/errors.ts";
import type { Check, Finding } from "../check.ts";

/** True when the broker accepts a proof of `config.secret`; null when it could not be asked. */
async function sameSecret(config: Config): Promise<boolean | null> {
  try {
    const { client, hello } = await connectBroker(config, false);
    try {
      return await client.request("verify", { auth: hmacProof(config.secret!, hello.nonce, PROOF_SUBJECTS.verify) }).then(
        () => true,
        (err) => (err instanceof IpcError && err.code === "FORBIDDEN" ? false : null),
      );
    } finally {
      client.close();
    }
  } catch {
    return null;
  }
}

/** IPC_SHARED_SECRET here versus the broker's security mode (never prints the secret). */
export const secretCheck: Check = async ({ config, broker }) => {
  const set = config.secret !== null;
  const here = set ? "IPC_SHARED_SECRET is set" : "no IPC_SHARED_SECRET (open mode, loopback only)";
  if (broker === null) return [{ check: "secret", status: "info", message: `${here}; no broker to compare with` }];
  if (set && broker.secure) {
    const same = await sameSecret(config);
    if (same === false) {
      return [{
        check: "secret",
        status: "fail",
        message: "IPC_SHARED_SECRET here differs from the running broker's secret: registering will fail",
        fix: "use the same IPC_SHARED_SECRET everywhere (shells, AI host MCP env), or restart the broker with yours: ipc stop && ipc serve --detach",
      }];
    }
    if (same === true) return [{ check: "secret", status: "ok", message: "IPC_SHARED_SECRET is set and the running broker has the same secret" }];
  }
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
