/**
 * Private file modes (docs/design.md#3-broker): IPC_HOME and its folders 0700, the
 * database, sessions and large-message files 0600. Checked when the broker
 * starts; anything more open is tightened and reported (`ipc doctor` reports
 * it too). The umask of the broker process is 077 for everything it creates.
 */
import { chmodSync, existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { type Config, paths } from "../config.ts";

/** A path whose mode was wider than it should be. */
export interface ModeFix {
  path: string;
  was: number;
  now: number;
}

function tighten(path: string, want: number, fixes: ModeFix[]): void {
  if (!existsSync(path)) return;
  const mode = statSync(path).mode & 0o777;
  if ((mode & ~want) !== 0) {
    chmodSync(path, want);
    fixes.push({ path, was: mode, now: want });
  }
}

/** Tightens the modes of everything ipc keeps in IPC_HOME; returns what it changed. */
export function enforcePrivateModes(config: Config): ModeFix[] {
  if (process.platform === "win32") return [];
  const fixes: ModeFix[] = [];
  tighten(config.home, 0o700, fixes);
  const db = paths.database(config);
  for (const f of [db, `${db}-wal`, `${db}-shm`, paths.lock(config), paths.log(config)]) tighten(f, 0o600, fixes);
  for (const dir of [paths.sessions(config), paths.largeMessages(config)]) {
    tighten(dir, 0o700, fixes);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) tighten(join(dir, name), 0o600, fixes);
  }
  return fixes;
}
