import pkg from "../package.json" with { type: "json" };

/** Injected by build.ts through `define` when the binary is compiled. */
declare const IPC_BUILD_VERSION: string | undefined;

/** The version of this `ipc` build: the one build.ts injected, else package.json's plus "-dev". */
export const VERSION: string =
  typeof IPC_BUILD_VERSION === "string" ? IPC_BUILD_VERSION : `${pkg.version}-dev`;

/** Version of wire protocol v2 (docs/design.md#5-protocol-v2) spoken by this build. */
export const PROTOCOL_VERSION = 2;
