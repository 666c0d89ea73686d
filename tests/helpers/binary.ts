/**
 * The compiled `ipc` binary for tests that must exercise it (MCP, README
 * walkthrough): `dist/ipc`, built once per test run if absent or older than
 * the sources (build/fresh.ts).
 */
export { BINARY, freshBinary as compiledBinary } from "../../build/fresh.ts";
