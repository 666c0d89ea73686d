/**
 * Failures as the model reads them: one sentence that says what went wrong
 * and what to do next. Every tool failure becomes an `isError` result with
 * this text; nothing here throws.
 */
import type * as v from "valibot";
import { IpcError } from "../protocol/errors.ts";

/** Bad tool arguments, with the sentence to show. */
export class ToolInputError extends Error {
  override name = "ToolInputError";
}

/** The sentence for a tool that needs an identity before it can act. */
export const NOT_REGISTERED = 'not registered yet: call register with your name (e.g. {"name": "fred"}), then try again';

/** Turns valibot issues into one line, e.g. `send: "to" is missing; "data": data must be a JSON object`. */
export function describeIssues(tool: string, issues: readonly v.BaseIssue<unknown>[], example?: string): string {
  const parts = issues.slice(0, 3).map((issue) => {
    const path = issue.path?.map((p) => String(p.key)).join(".");
    if (path === undefined || path === "") return issue.message;
    if (issue.kind === "schema" && issue.type === "object" && issue.received === "undefined") return `"${path}" is missing`;
    return `"${path}": ${issue.message}`;
  });
  return `invalid arguments for ${tool}: ${parts.join("; ")}${example ? `. Example: ${example}` : ""}`;
}

/** The sentence for any error a tool ran into. */
export function explain(err: unknown): string {
  if (err instanceof ToolInputError) return err.message;
  if (err instanceof IpcError) {
    switch (err.code) {
      case "NO_BROKER":
        return `the ipc broker is not reachable: ${err.message}`;
      case "RATE_LIMITED":
        return `${err.message}${err.retryAfterMs !== undefined ? ` — retry in ${Math.ceil(err.retryAfterMs / 1000)} s` : ""}`;
      case "UNAUTHENTICATED":
        return NOT_REGISTERED;
      case "INTERNAL":
        return `ipc failed: ${err.message}`;
      default:
        return err.message;
    }
  }
  return `unexpected error in ipc: ${err instanceof Error ? err.message : String(err)}`;
}
