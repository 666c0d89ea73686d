/** What every `ipc doctor` check is and returns. */
import type { Config } from "../config.ts";
import type { StatusResult } from "../protocol/responses.ts";
import type { Places } from "../setup/hosts.ts";

/** ok ✔; warn ⚠ (worth knowing, not a failure); fail ✖ (doctor exits 1); info – (nothing to check). */
export type Status = "ok" | "warn" | "fail" | "info";

/** One line of the report. */
export interface Finding {
  /** Which check said it, e.g. "home", "broker", "host:cursor". */
  check: string;
  status: Status;
  message: string;
  /** What to do about it (fail and warn). */
  fix?: string;
}

/** The running broker as seen by the broker check, for the checks after it. */
export interface BrokerSeen {
  version: string;
  pid: number;
  /** Open mode (IPC_OPEN=1): no authentication required. */
  open: boolean;
  /** The broker has a shared secret. */
  sharedSecret: boolean;
  /** How this client authenticated it: key, secret, open — or "key-only" when IPC_SHARED_SECRET here did not match and the key did. */
  trust: "key" | "secret" | "open" | "key-only" | "machine";
  /** The broker's cluster (`ipc serve --nats`, docs/cluster.md), if it is part of one. */
  cluster?: StatusResult["cluster"];
}

/** What the checks look at. */
export interface DoctorContext {
  config: Config;
  places: Places;
  /** The command line that runs this ipc (selfCommand()). */
  self: string[];
  /** Set by the broker check when a broker answered. */
  broker: BrokerSeen | null;
}

/** A check: reads the context, returns its findings (never throws for a problem it diagnoses). */
export type Check = (ctx: DoctorContext) => Finding[] | Promise<Finding[]>;

/** `mode` as an octal string like 0644. */
export function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}

/** `s` single-quoted for a POSIX shell when it needs quoting. */
export function q(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}
