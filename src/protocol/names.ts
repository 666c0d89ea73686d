import * as v from "valibot";

/** Names nobody may register (docs/design.md#1-vocabulary). `*` is already outside the name alphabet. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(["system", "all", "broadcast", "*"]);

/** Where broadcasts are shown as one conversation (the dashboard); outside the name alphabet. */
export const EVERYONE = "*";

/** The sender of broker-generated messages (rename notices). */
export const SYSTEM_SENDER = "system";

const NAME_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * An instance name as given: 1–32 characters of `[A-Za-z0-9_-]`, not reserved.
 * Output is lower-case: names match case-insensitively, so `Fred` and `fred` are one inbox.
 */
export const Name = v.pipe(
  v.string("a name must be a string"),
  v.regex(NAME_PATTERN, "a name is 1–32 characters of letters, digits, '-' and '_'"),
  v.toLowerCase(),
  v.check((n) => !RESERVED_NAMES.has(n), "that name is reserved (system, all, broadcast)"),
);
export type Name = v.InferOutput<typeof Name>;

/** Lower-cases and validates a name; returns null when it is not a valid, unreserved name. */
export function normalizeName(input: string): string | null {
  const r = v.safeParse(Name, input);
  return r.success ? r.output : null;
}
