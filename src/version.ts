import pkg from "../package.json" with { type: "json" };

/** Injected by build.ts through `define` when the binary is compiled. */
declare const IPC_BUILD_VERSION: string | undefined;
declare const IPC_BUILD_COMMIT: string | undefined;

/** The stamp build/npm-packages.ts writes into a released npm package's package.json (absent in a checkout). */
const npmBuild = (pkg as { ipcBuild?: { commit?: string } }).ipcBuild;

/**
 * The version of this `ipc` build: the one build.ts injected into a compiled
 * binary, else package.json's — as is in a released npm package (stamped by
 * build/npm-packages.ts), plus "-dev" when run from a source checkout.
 */
export const VERSION: string =
  typeof IPC_BUILD_VERSION === "string" ? IPC_BUILD_VERSION : npmBuild ? pkg.version : `${pkg.version}-dev`;

/** The git commit (short hash) this build was made from; "dev" when run from a source checkout. */
export const COMMIT: string =
  typeof IPC_BUILD_COMMIT === "string" ? IPC_BUILD_COMMIT : (npmBuild?.commit ?? "dev");

/** Version of wire protocol v2 (docs/design.md#5-protocol-v2) spoken by this build. */
export const PROTOCOL_VERSION = 2;
