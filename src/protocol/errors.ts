import * as v from "valibot";

/**
 * Error codes of wire protocol v2 (docs/design.md#5-protocol-v2), plus UNAVAILABLE (the broker
 * is stopping: a held check is answered with it), NAME_TAKEN (register: another
 * live seat holds the name, docs/identity.md), CLAIM_CONFLICT (claim: another name holds an
 * overlapping file claim, docs/coordination.md) and client-side NO_BROKER.
 */
export const ErrorCode = v.picklist([
  "BAD_REQUEST",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "INVALID_NAME",
  "NOT_FOUND",
  "INBOX_FULL",
  "RATE_LIMITED",
  "TOO_LARGE",
  "CONFLICT",
  "NAME_TAKEN",
  "CLAIM_CONFLICT",
  "INTERNAL",
  "UNAVAILABLE",
  "NO_BROKER",
]);
export type ErrorCode = v.InferOutput<typeof ErrorCode>;

/** The `error` member of a failed response frame. `retry_after_ms` accompanies RATE_LIMITED. */
export const ErrorBody = v.object({
  code: ErrorCode,
  message: v.string(),
  retry_after_ms: v.optional(v.number()),
});
export type ErrorBody = v.InferOutput<typeof ErrorBody>;

/** CLI exit codes (docs/design.md#8-cli). */
export const EXIT = { ok: 0, failed: 1, usage: 2, noBroker: 3 } as const;

/**
 * The one error type of ipc: a protocol `code`, a message that says what to do,
 * and the exit code the CLI uses when it ends a command.
 */
export class IpcError extends Error {
  override name = "IpcError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly exitCode: number = code === "NO_BROKER" || code === "UNAVAILABLE" ? EXIT.noBroker : EXIT.failed,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  /** The wire form of this error. */
  toBody(): ErrorBody {
    return this.retryAfterMs === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, retry_after_ms: this.retryAfterMs };
  }

  /** Rebuilds an error received from a broker. */
  static fromBody(body: ErrorBody): IpcError {
    return new IpcError(body.code, body.message, undefined, body.retry_after_ms);
  }
}
