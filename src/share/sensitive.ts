/**
 * What share_file and share_command refuse to send by default (issue 10 hole 5,
 * issue 23 item 10): ipc's own home (session tokens, keys) and any file that
 * is one of its files under another name (a hard link: same device and
 * inode), any other ipc home's files, the AI hosts' credential files, the
 * usual credential and token stores and shell histories in the user's home
 * directory, private-key files (by name and by content), `.env*` files,
 * processes' environments (/proc/…/environ) and /etc/shadow; and text holding
 * a key-shaped secret (secretInText). A person on the CLI may override with
 * `--allow-sensitive`; the MCP tools never do.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { userInfo } from "node:os";
import { basename, dirname, join, sep } from "node:path";
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
/** Single credential files under a home directory: registries, the AI hosts' logins (Claude Code, Codex, Gemini CLI), gh, token stores. */
const SECRET_FILES = [
  join(".docker", "config.json"),
  ".netrc",
  ".git-credentials",
  ".pgpass",
  join(".claude", ".credentials.json"),
  join(".codex", "auth.json"),
  join(".gemini", "oauth_creds.json"),
  join(".gemini", "google_accounts.json"),
  join(".config", "gh", "hosts.yml"),
  join(".config", "hub"),
  ".npmrc",
  ".yarnrc.yml",
  ".pypirc",
  join(".cargo", "credentials.toml"),
  join(".cargo", "credentials"),
  join(".gem", "credentials"),
  join(".terraform.d", "credentials.tfrc.json"),
  join(".local", "share", "fish", "fish_history"),
];
/** File names of shell and REPL histories (typed commands, often with tokens in them), wherever they are. */
const HISTORY_NAME = /^(\..*_history|\.histfile|fish_history)$/;
/** File names that hold credentials wherever they are. */
const CREDENTIAL_NAMES = new Set([".netrc", ".git-credentials", ".pgpass", ".pypirc", ".credentials.json"]);
/** Files whose presence marks a folder as an ipc home (config.ts paths). */
const IPC_HOME_MARKS = ["broker.key", "ipc.db", "broker.lock"];
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
  if (/^\/proc\/[^/]+\/(task\/[^/]+\/)?environ$/.test(path)) return "it is a process's environment, which holds API keys and tokens";
  const other = ipcHomeOf(path);
  if (other !== null) return `it is inside an ipc home (${other}), where session tokens and keys live`;
  const name = basename(path);
  if (HISTORY_NAME.test(name)) return "it is a shell history, which often holds typed tokens and passwords";
  if (CREDENTIAL_NAMES.has(name)) return `it is a ${name} file, which holds credentials`;
  if (/^\.env(\..*)?$/i.test(name) || /^\.envrc$/i.test(name)) return "it is an environment file (.env*), which usually holds secrets";
  if (KEY_NAME.test(name)) return "its name is a private key's (id_rsa, *.pem, *.key, …)";
  return null;
}

/** The nearest folder above `path` holding an ipc home's files (broker.key, ipc.db, broker.lock), or null. */
function ipcHomeOf(path: string): string | null {
  let dir = dirname(path);
  for (let depth = 0; depth < 64; depth++) {
    if (IPC_HOME_MARKS.some((m) => existsSync(join(dir, m)))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

/** Most entries of IPC_HOME looked at for inodes. */
const MAX_HOME_ENTRIES = 10_000;

/** `dev:ino` of every regular file under IPC_HOME `home` (bounded), to know its files under other names (hard links). */
export function homeInodes(home: string): Set<string> {
  const out = new Set<string>();
  const stack = [home];
  let seen = 0;
  while (stack.length > 0 && seen < MAX_HOME_ENTRIES) {
    const dir = stack.pop()!;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) {
      if (++seen > MAX_HOME_ENTRIES) break;
      try {
        const st = lstatSync(join(dir, n));
        if (st.isDirectory()) stack.push(join(dir, n));
        else if (st.isFile()) out.add(`${st.dev}:${st.ino}`);
      } catch {
        // gone meanwhile
      }
    }
  }
  return out;
}

/** Why a file with device `dev` and inode `ino` (and `nlink` links) is a secret: one of IPC_HOME's files under another name; or null. */
export function inodeReason(st: { dev: number; ino: number; nlink: number }, places: SecretPlaces): string | null {
  if (st.nlink < 2) return null;
  return homeInodes(places.ipcHome).has(`${st.dev}:${st.ino}`) ? `it is a hard link to a file in IPC_HOME (${places.ipcHome}), where session tokens and keys live` : null;
}

/** Key-shaped secrets: what they look like and what to call them. */
const SECRET_SHAPES: ReadonlyArray<[RegExp, string]> = [
  [PRIVATE_KEY_BLOCK, "a private key block (-----BEGIN … PRIVATE KEY-----)"],
  [/\bsk-ant-[A-Za-z0-9_-]{20,}/, "an Anthropic API key (sk-ant-…)"],
  [/\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{32,}/, "an API key (sk-…)"],
  [/\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})/, "a GitHub token (ghp_…)"],
  [/\bglpat-[A-Za-z0-9_-]{20,}/, "a GitLab token (glpat-…)"],
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/, "an AWS access key id (AKIA…)"],
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}/, "a Slack token (xox…-)"],
  [/\bAIza[0-9A-Za-z_-]{35}/, "a Google API key (AIza…)"],
  [/\bnpm_[A-Za-z0-9]{36}\b/, "an npm token (npm_…)"],
  [/\bpypi-[A-Za-z0-9_-]{50,}/, "a PyPI token (pypi-…)"],
  [/_authToken\s*=\s*[^\s$][^\s]{7,}/, "an npm registry token (_authToken=…)"],
  [/"token"\s*:\s*"[A-Za-z0-9_-]{43}"/, "an ipc session token (a copied sessions/*.json)"],
];

/** Secret values known on this machine: IPC_HOME's key and session tokens, and secret-looking environment variables' values. */
export interface KnownSecrets {
  values: Array<{ name: string; value: string }>;
}

/** The secrets of IPC_HOME `home` (broker.key, sessions/*.json tokens) and `env` (secretEnvValues). */
export function knownSecrets(home: string, env: Array<{ name: string; value: string }>): KnownSecrets {
  const values = [...env.map((e) => ({ name: `the value of $${e.name}`, value: e.value }))];
  try {
    const key = readFileSync(join(home, "broker.key"), "utf8").trim();
    if (key.length >= 16) values.push({ name: "this broker's key", value: key });
  } catch {
    // no key here
  }
  try {
    for (const f of readdirSync(join(home, "sessions")).slice(0, 1000)) {
      if (!f.endsWith(".json")) continue;
      try {
        const token = (JSON.parse(readFileSync(join(home, "sessions", f), "utf8")) as { token?: unknown }).token;
        if (typeof token === "string" && token.length >= 16) values.push({ name: "a session token", value: token });
      } catch {
        // unreadable
      }
    }
  } catch {
    // no sessions
  }
  return { values };
}

/** What key-shaped secret `text` holds (a known value, or an API key, token or private key by its shape), or null. */
export function secretInText(text: string, known: KnownSecrets): string | null {
  for (const { name, value } of known.values) if (text.includes(value)) return `it contains ${name}`;
  for (const [re, what] of SECRET_SHAPES) if (re.test(text)) return `it contains what looks like ${what}`;
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
