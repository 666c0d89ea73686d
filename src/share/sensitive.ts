/**
 * What share_file and share_command refuse to send by default (issue 10 hole 5):
 * ipc's own home (session tokens, keys), the usual credential stores in the
 * user's home directory, private-key files (by name and by content), `.env*`
 * files and /etc/shadow. A person on the CLI may override with
 * `--allow-sensitive`; the MCP tools never do.
 */
import { realpathSync } from "node:fs";
import { userInfo } from "node:os";
import { basename, join, sep } from "node:path";
import { IpcError } from "../protocol/errors.ts";

/** Where secrets live, given the ipc home and the user's home directories. */
export interface SecretPlaces {
  /** IPC_HOME. */
  ipcHome: string;
  /** HOME and the account's home from the password database (they can differ, e.g. under sudo). */
  userHomes: string[];
}

/** The places for `ipcHome` and HOME `home`, plus the account's home from the password database. */
export function secretPlaces(ipcHome: string, home: string): SecretPlaces {
  let account: string | null = null;
  try {
    account = userInfo().homedir; // getpwuid: not HOME
  } catch {
    // no password entry for this uid
  }
  return { ipcHome, userHomes: [...new Set([home, ...(account ? [account] : [])])] };
}

/** Directories under a home directory whose every file is a credential. */
const SECRET_DIRS = [".ssh", ".gnupg", ".aws", join(".config", "gcloud"), ".kube"];
/** Single credential files under a home directory. */
const SECRET_FILES = [join(".docker", "config.json"), ".netrc", ".git-credentials", ".pgpass"];
/** System files holding password hashes (readable by root, who runs CI). */
const SYSTEM_SECRETS = ["/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-"];
/** File names of private keys: ssh's defaults and the usual key/certificate-bundle extensions. */
const KEY_NAME = /^(id_(rsa|dsa|ecdsa|ed25519|ecdsa_sk|ed25519_sk|xmss)|.*\.(pem|key|p12|pfx|ppk|jks|keystore))$/i;

/** A PEM/OpenSSH/PGP private key block's first line: `-----BEGIN … PRIVATE KEY-----` (RFC 7468 labels). */
const PRIVATE_KEY_BLOCK = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----/;

/** True when `text` contains a private key block. */
export function containsPrivateKey(text: string): boolean {
  return PRIVATE_KEY_BLOCK.test(text);
}

/** `path` and, when it exists, its real path (symlinks resolved), without duplicates. */
function forms(path: string): string[] {
  try {
    const real = realpathSync(path);
    return real === path ? [path] : [path, real];
  } catch {
    return [path];
  }
}

/** True when `path` is `dir` or lies inside it. */
function within(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/**
 * Why the file at absolute `path` (already resolved: no symlinks) is a secret, or null.
 * Compares against the secret places both as written and with their own symlinks resolved.
 */
export function secretReason(path: string, places: SecretPlaces): string | null {
  for (const dir of forms(places.ipcHome)) {
    if (within(path, dir)) return `it is inside IPC_HOME (${places.ipcHome}), where session tokens and keys live`;
  }
  for (const home of places.userHomes) {
    for (const rel of SECRET_DIRS) {
      for (const dir of forms(join(home, rel))) if (within(path, dir)) return `it is inside ~/${rel}, a credential store`;
    }
    for (const rel of SECRET_FILES) {
      for (const file of forms(join(home, rel))) if (path === file) return `it is ~/${rel}, a credential file`;
    }
  }
  if (SYSTEM_SECRETS.includes(path)) return "it holds the system's password hashes";
  const name = basename(path);
  if (/^\.env(\..*)?$/i.test(name) || /^\.envrc$/i.test(name)) return "it is an environment file (.env*), which usually holds secrets";
  if (KEY_NAME.test(name)) return "its name is a private key's (id_rsa, *.pem, *.key, …)";
  return null;
}

/**
 * The refusal for a secret: names the real path and the reason; a person on the
 * CLI is told about --allow-sensitive, an MCP caller only that it is never sent.
 */
export function secretRefusal(what: string, reason: string, overridable: boolean): IpcError {
  const how = overridable
    ? "if you really mean to send it, run the command again with --allow-sensitive"
    : "agents never share secrets; if it must be sent, ask the user to do it themselves";
  return new IpcError("FORBIDDEN", `refused to share ${what}: ${reason}; ${how}`);
}
