/** Free TCP ports on loopback for test brokers. */

/** A port nothing listens on right now (bound on port 0, then released). */
export function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}
