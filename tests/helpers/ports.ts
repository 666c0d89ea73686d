/**
 * Free TCP ports on loopback for test brokers.
 *
 * `npm test` (scripts/test.ts) runs test files in parallel and gives each
 * concurrent slot a number in TEST_PORT_SLOT. A slot hands out ports from its
 * own block below the kernel's ephemeral range, so two files running at once
 * never get the same port, and no client connection's ephemeral port takes
 * one between freePort() and the listen that uses it. Without a slot (a
 * single `bun test FILE`) the kernel picks (port 0). Either way a process never
 * gets the same port twice.
 */
import { readFileSync } from "node:fs";

/** Ports per slot; slots 0..11 fit below the default ephemeral range (32768). */
const BLOCK = 1000;
const BASE = 20_000;

/** Ports this process has handed out already. */
const given = new Set<number>();

function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (Number.isInteger(lo) && Number.isInteger(hi)) return [lo!, hi!];
  } catch {}
  return [32_768, 60_999];
}

/** This slot's block [first, last], or null when not run by scripts/test.ts (or the block would meet the ephemeral range). */
function slotBlock(): [number, number] | null {
  const slot = Number(process.env.TEST_PORT_SLOT);
  if (!Number.isInteger(slot) || slot < 0) return null;
  const first = BASE + (slot % 12) * BLOCK;
  const last = first + BLOCK - 1;
  const [lo, hi] = ephemeralRange();
  return last < lo || first > hi ? [first, last] : null;
}

const block = slotBlock();
/** The next port to try in the block: a random start, so files run one after another in a slot seldom reuse a port. */
let next = block ? block[0] + Math.floor(Math.random() * BLOCK) : 0;

function canBind(port: number): boolean {
  try {
    const l = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
    l.stop(true);
    return true;
  } catch {
    return false;
  }
}

/** A port nothing listens on right now, and not handed out before in this process. Throws when none is left. */
export function freePort(): number {
  if (block) {
    for (let tries = 0; tries < BLOCK; tries++) {
      const port = next;
      next = next >= block[1] ? block[0] : next + 1;
      if (!given.has(port) && canBind(port)) {
        given.add(port);
        return port;
      }
    }
    throw new Error(`freePort: no free port left in ${block[0]}-${block[1]} (TEST_PORT_SLOT=${process.env.TEST_PORT_SLOT})`);
  }
  for (let tries = 0; tries < 100; tries++) {
    const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = l.port;
    l.stop(true);
    if (!given.has(port)) {
      given.add(port);
      return port;
    }
  }
  throw new Error("freePort: the kernel kept handing out ports this process used already");
}
