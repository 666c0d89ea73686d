/** Turns any error into the one line the CLI prints, and its exit code (docs/design.md#8-cli). */
import { EXIT, IpcError } from "../protocol/errors.ts";

export interface FormattedError {
  message: string;
  exitCode: number;
  /** Show the command's usage above the message. */
  usage: boolean;
  /** What `--json` prints on stdout: `{"ok":false,"error":{"code","message"}}`, the shape of a protocol error. */
  json: { ok: false; error: { code: string; message: string } };
}

/** Known errors become one readable line; unknown ones keep their stack. */
export function formatError(err: unknown): FormattedError {
  const json = (code: string, message: string) => ({ ok: false as const, error: { code, message } });
  if (err instanceof IpcError) {
    return { message: `ipc: ${err.message} (${err.code})`, exitCode: err.exitCode, usage: false, json: json(err.code, err.message) };
  }
  if (err instanceof Error && err.name === "CLIError") {
    err.message = err.message.replace(/\x1b\[[0-9;]*m/g, ""); // citty colours the words it quotes
    return { message: `ipc: ${err.message}`, exitCode: EXIT.usage, usage: true, json: json("BAD_REQUEST", err.message) };
  }
  const e = err as Error;
  return {
    message: `ipc: unexpected error: ${e?.stack ?? String(err)}`,
    exitCode: EXIT.failed,
    usage: false,
    json: json("INTERNAL", e?.message ?? String(err)),
  };
}

/** A usage error (exit code 2) with a message that says what to type instead. */
export function usageError(message: string): IpcError {
  return new IpcError("BAD_REQUEST", message, EXIT.usage);
}
