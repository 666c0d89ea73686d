/** Doctor: which ipc this is. */
import { VERSION } from "../../version.ts";
import type { Check } from "../check.ts";

/** The version of this binary and how it runs (compiled, or Bun + src/main.ts). */
export const versionCheck: Check = (ctx) => [
  { check: "version", status: "ok", message: `ipc ${VERSION} (${ctx.self.join(" ")})` },
];
