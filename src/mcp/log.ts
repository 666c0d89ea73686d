/** Diagnostics of `ipc mcp`: stderr only, since stdout carries the MCP frames. */

/** Writes one line to stderr (hosts show it in their MCP logs). */
export function log(message: string): void {
  process.stderr.write(`ipc mcp: ${message}\n`);
}
