/**
 * `ipc ui --open` hands the browser a file, not the login link: a command
 * line is readable by every local user in /proc/PID/cmdline, so a link with
 * the one-time code on xdg-open's command line could be redeemed by anyone
 * polling /proc first (issue 22, hole 2). The file is a tiny HTML page that
 * sends the browser on to the link (`<meta http-equiv="refresh">`, HTML
 * Living Standard §4.2.5.3), written 0600 in IPC_HOME (0700), through a fresh
 * temporary file opened O_EXCL|O_NOFOLLOW and renamed into place. Its path
 * holds no secret. It is overwritten by the next `ipc ui --open`; the code in
 * it works once and expires after 5 minutes anyway.
 */
import { closeSync, constants, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";

/** The file's name inside IPC_HOME. */
export const LOGIN_FILE = "ui-login.html";

/** Characters HTML attribute values and text need escaped. */
function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Writes the redirect page to `url` into `home` and returns its path (no secret in it).
 * @throws Error from the file system (the caller falls back to printing the link).
 */
export function writeLoginFile(home: string, url: string): string {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const path = join(home, LOGIN_FILE);
  const tmp = join(home, `.${LOGIN_FILE}.${process.pid}.${Date.now()}`);
  const u = escapeHtml(url);
  const html =
    `<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer">` +
    `<meta http-equiv="refresh" content="0;url=${u}"><title>ipc dashboard</title>` +
    `<p>Opening the ipc dashboard… <a href="${u}" rel="noreferrer">continue</a></p>\n`;
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600);
  try {
    writeSync(fd, html);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  return path;
}
