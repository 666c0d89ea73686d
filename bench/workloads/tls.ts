/**
 * Agents on another machine (issue 13), over a TLS listener on loopback: the
 * bench's raw clients authenticate as a joined machine (bench/lib/remote.ts)
 * and run the 8 × 32 send and the push workloads unchanged, so the figures
 * sit beside the plaintext ones of the same run.
 */
import { push } from "./push.ts";
import { sends } from "./sends.ts";
import type { Measurements, Timing } from "./types.ts";

/** 8 × 32 sends over TLS on `tlsPort` (a listener joined with joinMachine). */
export async function tlsSends(tlsPort: number, t: Timing): Promise<Measurements> {
  return sends(tlsPort, t, [["8x32", 8, 32]], "tls.send");
}

/** Push latency over TLS: a sender and a receiver waiting in check, both joined-machine connections. */
export async function tlsPush(tlsPort: number, t: Timing): Promise<Measurements> {
  const m = await push(tlsPort, t);
  return { "tls.push.p50": m["push.check.p50"]!, "tls.push.p99": m["push.check.p99"]! };
}
