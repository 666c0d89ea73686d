/**
 * Every figure the benchmark reports: its unit, what it measures, and the
 * budget it must meet (issue "Performance", medians on a 2-core machine).
 *
 * Budgets that depend on the machine's speed are ratios to a reference
 * measured in the same run (issue 25): the pinned echo round trip
 * (`echo.1x1.p50`) for request latencies, the bare Bun runtime's cold start
 * with one request (`cold.bun`) for process starts, a static page in the same
 * Chromium (`ui.reference`) for the dashboard's first screen, and the durable
 * ceiling for stored sends. Each ratio budget is the old absolute budget
 * divided by its reference on the quiet 2-core VM of docs/performance.md
 * (echo 1 × 1 at 45 992 req/s, so a 21.7 µs round trip): as strict as before
 * there, not failing a slower VM, not hiding a regression on a faster one.
 * Budgets on sizes (RSS, tokens) stay absolute.
 */

/** A budget: the median must be `>=` or `<=` `value`. */
export interface Budget {
  op: ">=" | "<=";
  value: number;
}

export interface FigureSpec {
  name: string;
  unit: string;
  description: string;
  budget?: Budget;
  /** Also print this figure as a ratio of another (the machine's own limit, or the empty-database figure). */
  ratioOf?: string;
  ratioBudget?: Budget;
}

/**
 * Dashboard budgets, × ui.reference. The first screen: issue 24's 300 ms when
 * the static reference page took ~250 ms (1.2 ×). Both are now timed to the
 * rows' presentation on screen (Element Timing, after the frame's paint); on
 * the quiet 2-core VM the reference takes 230–320 ms and the dashboard
 * 392–596 ms (1.55 ×, not met). Live: 100 ms for 8.5 ms then, capped at 2 ×.
 */
const UI_FIRST = 1.2;
const UI_LIVE = 2;

export const FIGURES: FigureSpec[] = [
  { name: "echo.1x1", unit: "req/s", description: "echo limit: NDJSON echo server, 1 connection, one at a time (pinned)" },
  { name: "echo.1x1.p50", unit: "µs", description: "echo round trip p50, 1 connection (pinned): the reference for request latencies" },
  { name: "echo.unpinned.1x1", unit: "req/s", description: "echo limit, 1 × 1, client and server free to use both CPUs" },
  { name: "echo.8x1", unit: "req/s", description: "echo limit: 8 connections, one at a time" },
  { name: "echo.8x32", unit: "req/s", description: "echo limit: 8 connections × 32 pipelined" },
  { name: "ceiling", unit: "rows/s", description: "durable ceiling: a bare bun:sqlite loop inserting send.8x32's rows (ipc's schema, indexes, pragmas and MessageStore.insert), committed 256 at a time; no sockets, no JSON" },
  {
    name: "store.8x32",
    unit: "sends/s",
    description: "store limit: send.8x32 against a bare NDJSON server that stores each send as the broker does (MessageStore.insertLater, one COMMIT per event-loop turn) and answers after the commit; no sessions, checks or delivery (bench/lib/store-server.ts)",
    // Reported, not budgeted: send.8x32 over it is the broker's own logic's share (docs/performance.md).
    ratioOf: "ceiling",
  },
  { name: "send.1x1", unit: "sends/s", description: "send, 1 connection, one at a time (pinned)", ratioOf: "echo.1x1", ratioBudget: { op: ">=", value: 0.15 } },
  { name: "send.1x1.p50", unit: "µs", description: "ack latency p50, 1 connection (pinned)", ratioOf: "echo.1x1.p50", ratioBudget: { op: "<=", value: 6 } },
  { name: "send.1x1.p99", unit: "µs", description: "ack latency p99, 1 connection (pinned)", ratioOf: "echo.1x1.p50", ratioBudget: { op: "<=", value: 18 } },
  { name: "send.unpinned.1x1", unit: "sends/s", description: "send 1 × 1, unpinned", ratioOf: "echo.unpinned.1x1" },
  { name: "send.unpinned.1x1.p50", unit: "µs", description: "ack latency p50, 1 × 1, unpinned" },
  { name: "send.unpinned.1x1.p99", unit: "µs", description: "ack latency p99, 1 × 1, unpinned" },
  { name: "send.8x1", unit: "sends/s", description: "send, 8 connections, one at a time", ratioOf: "echo.8x1" },
  { name: "send.8x1.p50", unit: "µs", description: "ack latency p50, 8 connections" },
  { name: "send.8x1.p99", unit: "µs", description: "ack latency p99, 8 connections" },
  {
    name: "send.8x32",
    unit: "sends/s",
    description: "send, 8 connections × 32 pipelined, acked after commit",
    // The echo limit is no fair ceiling for a durable send (issue 17): the bare SQLite loop is.
    ratioOf: "ceiling",
    ratioBudget: { op: ">=", value: 0.6 },
  },
  { name: "send.8x32.p50", unit: "µs", description: "ack latency p50, 8 × 32 (time a frame waits in its pipeline)" },
  { name: "send.8x32.p99", unit: "µs", description: "ack latency p99, 8 × 32" },
  { name: "push.check.p50", unit: "µs", description: "push latency p50: send → receiver waiting in check", ratioOf: "echo.1x1.p50", ratioBudget: { op: "<=", value: 9 } },
  { name: "push.check.p99", unit: "µs", description: "push latency p99: send → receiver waiting in check" },
  { name: "push.subscribe.p50", unit: "µs", description: "push latency p50: send → subscribed receiver" },
  { name: "push.subscribe.p99", unit: "µs", description: "push latency p99: send → subscribed receiver" },
  { name: "check.empty", unit: "checks/s", description: "check, empty inbox, one at a time" },
  { name: "check.empty.p50", unit: "µs", description: "check latency p50, empty inbox" },
  { name: "check.ten", unit: "checks/s", description: "check taking 10 waiting messages" },
  { name: "check.ten.p50", unit: "µs", description: "check latency p50, 10 waiting" },
  { name: "check.delivered", unit: "msgs/s", description: "messages delivered: 4 × 32 senders → 1 reader looping on check" },
  { name: "stored.send.1x1", unit: "sends/s", description: "send 1 × 1 with the stored messages", ratioOf: "send.1x1", ratioBudget: { op: ">=", value: 0.85 } },
  // The cluster (docs/cluster.md): only when nats-server is on the PATH.
  { name: "cluster.send.8x32", unit: "sends/s", description: "cluster: sends A acknowledges for a recipient on broker B, 8 × 32 pipelined" },
  { name: "cluster.raw.8x32", unit: "pub/s", description: "cluster: raw JetStream publishes (R3, 256 in flight) of as many messages of the same size, same run" },
  { name: "cluster.delivered.8x32", unit: "msgs/s", description: "cluster: the same sends committed into B's store, end to end", ratioOf: "cluster.raw.8x32", ratioBudget: { op: ">=", value: 0.5 } },
  { name: "cluster.push.check.p50", unit: "µs", description: "cluster: push latency p50, send on A → receiver waiting in check on B" },
  { name: "cluster.push.check.p99", unit: "µs", description: "cluster: push latency p99 across brokers" },
  { name: "cluster.local.send.8x32", unit: "sends/s", description: "cluster: sends between two agents of one cluster broker (no NATS on the path)", ratioOf: "send.8x32", ratioBudget: { op: ">=", value: 0.9 } },
  { name: "stored.send.8x32", unit: "sends/s", description: "send 8 × 32 with the stored messages", ratioOf: "send.8x32", ratioBudget: { op: ">=", value: 0.85 } },
  { name: "stored.check.empty", unit: "checks/s", description: "check, empty inbox, with the stored messages", ratioOf: "check.empty", ratioBudget: { op: ">=", value: 0.85 } },
  { name: "stored.check.ten", unit: "checks/s", description: "check taking 10, with the stored messages", ratioOf: "check.ten", ratioBudget: { op: ">=", value: 0.85 } },
  { name: "stored.check.delivered", unit: "msgs/s", description: "messages delivered, with the stored messages", ratioOf: "check.delivered", ratioBudget: { op: ">=", value: 0.85 } },
  { name: "legacy.sends.1", unit: "sends/s", description: "legacy protocol, one connection per request, 1 client" },
  { name: "legacy.sends.8", unit: "sends/s", description: "legacy protocol, one connection per request, 8 clients", ratioOf: "echo.1x1", ratioBudget: { op: ">=", value: 0.11 } },
  { name: "cold.bun", unit: "ms", description: "the bare Bun runtime: start, one request to the broker, exit (bench/lib/cold-client.ts), timed in turn with cold.send: the reference for process starts" },
  // Ratio budgets of process starts: measured 1.9 (send) and 3.6 (mcp) × cold.bun when cold.send was 16 ms and cold.mcp 35 ms (budgets 25 and 150 ms).
  { name: "cold.send", unit: "ms", description: "`ipc send` end to end against a running broker (process start to exit)", ratioOf: "cold.bun", ratioBudget: { op: "<=", value: 2.8 } },
  { name: "cold.mcp", unit: "ms", description: "`ipc mcp` from process start to its initialize answer", ratioOf: "cold.bun", ratioBudget: { op: "<=", value: 15 } },
  { name: "wake.hook.p50", unit: "ms", description: "wake waiter, our part: send → `ipc hook claude-code --wake` exited 2 with the mail on stderr, p50", ratioOf: "echo.1x1.p50", ratioBudget: { op: "<=", value: 920 } },
  { name: "wake.hook.max", unit: "ms", description: "wake waiter, our part: send → hook exit, max" },
  {
    name: "wake.claude_code.p50",
    unit: "ms",
    description: "wake, whole hop: `ipc send` returning → the idle Claude Code 2.1.332 (tmux, stand-in Messages API) sending its woken request, p50 of ≥ 5",
    ratioOf: "cold.bun",
    ratioBudget: { op: "<=", value: 30 },
  },
  { name: "wake.claude_code.max", unit: "ms", description: "wake, whole hop with Claude Code: `ipc send` returning → woken request, max of ≥ 5" },
  {
    name: "wake.claude_code.inbox.p50",
    unit: "ms",
    description: "wake through Claude Code's own inbox (set up without hooks): `ipc send` returning → the idle Claude Code 2.1.332 sending its woken request, p50 of ≥ 5",
    budget: { op: "<=", value: 100 },
  },
  { name: "wake.claude_code.inbox.max", unit: "ms", description: "wake through Claude Code's own inbox: `ipc send` returning → woken request, max of ≥ 5" },
  {
    name: "wake.codex.p50",
    unit: "ms",
    description: "wake, whole hop: a send leaving the sender → the idle Codex 0.171.0 (tmux, stand-in Responses API, its shared background server: Codex's default) sending its woken request, p50 of ≥ 5",
    budget: { op: "<=", value: 1_000 },
  },
  { name: "wake.codex.max", unit: "ms", description: "wake, whole hop with Codex: a send leaving the sender → woken request, max of ≥ 5" },
  { name: "wake.codex.push.p50", unit: "ms", description: "wake with Codex, stage 1 (ours): the send → the waiter starting `codex queue`, p50" },
  { name: "wake.codex.cli.p50", unit: "ms", description: "wake with Codex, stage 2: the waiter's `codex queue` run, p50" },
  { name: "wake.codex.pickup.p50", unit: "ms", description: "wake with Codex, stage 3: `codex queue` exited → Codex's woken request (Codex noticing the queued message, its turn hook, the request), p50" },
  { name: "wake.codex.bare_pickup.p50", unit: "ms", description: "wake with Codex: pickup of a `codex queue` run by hand, no waiter at work, p50" },
  { name: "wake.codex.ours.p50", unit: "ms", description: "wake with Codex, our part: send → the waiter starting `codex queue` (a stand-in codex), p50" },
  { name: "wake.codex.ours.max", unit: "ms", description: "wake with Codex, our part: send → `codex queue` started, max" },
  { name: "wake.codex.process.p50", unit: "ms", description: "wake.codex with each session in its own process (daemon_auto_start = false; Codex looks for queued messages every 10 s there), p50 of ≥ 5" },
  { name: "wake.codex.process.max", unit: "ms", description: "wake.codex with a process per session, max" },
  { name: "wake.codex.process.push.p50", unit: "ms", description: "wake.codex.push with a process per session, p50" },
  { name: "wake.codex.process.cli.p50", unit: "ms", description: "wake.codex.cli with a process per session, p50" },
  { name: "wake.codex.process.pickup.p50", unit: "ms", description: "wake.codex.pickup with a process per session, p50" },
  { name: "wake.codex.process.bare_pickup.p50", unit: "ms", description: "wake.codex.bare_pickup with a process per session, p50" },
  { name: "rss.idle", unit: "MiB", description: "broker RSS, idle" },
  { name: "rss.connections", unit: "MiB", description: "broker RSS with 1 000 idle connections", budget: { op: "<=", value: 100 } },
  { name: "rss.stored", unit: "MiB", description: "broker RSS after the workloads on the stored messages" },
  { name: "bomb.rss.peak", unit: "MiB", description: "history bomb (issue 10): broker peak RSS while 1 × 500 and 8 × 200 pipelined history requests for 8 MB each arrive and their connections close", budget: { op: "<=", value: 256 } },
  { name: "bomb.others.p50", unit: "ms", description: "history bomb: latency p50 of 4 other clients asking whoami meanwhile" },
  { name: "bomb.others.p99", unit: "ms", description: "history bomb: latency p99 of 4 other clients asking whoami meanwhile", ratioOf: "echo.1x1.p50", ratioBudget: { op: "<=", value: 4_600 } },
  { name: "mcp.send.p50", unit: "µs", description: "MCP `send` tool call, SDK client over stdio to the compiled `ipc mcp`, callTool → result (pinned), p50", ratioOf: "echo.1x1.p50", ratioBudget: { op: "<=", value: 16 } },
  { name: "mcp.send.p99", unit: "µs", description: "MCP `send` tool call (pinned), p99", ratioOf: "echo.1x1.p50", ratioBudget: { op: "<=", value: 46 } },
  { name: "mcp.check.p50", unit: "µs", description: "MCP `check` tool call, empty inbox (pinned), p50", ratioOf: "echo.1x1.p50", ratioBudget: { op: "<=", value: 16 } },
  { name: "mcp.check.p99", unit: "µs", description: "MCP `check` tool call, empty inbox (pinned), p99", ratioOf: "echo.1x1.p50", ratioBudget: { op: "<=", value: 46 } },
  { name: "mcp.unpinned.send.p50", unit: "µs", description: "MCP `send` tool call, unpinned, p50" },
  { name: "mcp.unpinned.send.p99", unit: "µs", description: "MCP `send` tool call, unpinned, p99" },
  { name: "mcp.unpinned.check.p50", unit: "µs", description: "MCP `check` tool call, empty inbox, unpinned, p50" },
  { name: "mcp.unpinned.check.p99", unit: "µs", description: "MCP `check` tool call, empty inbox, unpinned, p99" },
  { name: "mcp.tools.tokens", unit: "tokens", description: "tool definitions a host puts in context: characters of `tools/list` (all tools) / 4", budget: { op: "<=", value: 2_500 } },
  { name: "fanout.last.p50", unit: "ms", description: "fan-out: one broadcast to 1 000 agents each waiting in check on its own connection, until the last has it, p50 of the rounds", ratioOf: "echo.1x1.p50", ratioBudget: { op: "<=", value: 920 } },
  { name: "fanout.last.max", unit: "ms", description: "fan-out: the slowest round" },
  { name: "scale.rss", unit: "MiB", description: "broker RSS with 10 000 registered names, 2 000 of them on idle authenticated connections", budget: { op: "<=", value: 150 } },
  { name: "scale.list.p50", unit: "ms", description: "`list` first page (200 names) at that scale, p50", ratioOf: "echo.1x1.p50", ratioBudget: { op: "<=", value: 230 } },
  { name: "scale.send.1x1", unit: "sends/s", description: "send 1 × 1 at that scale (pinned)", ratioOf: "send.1x1", ratioBudget: { op: ">=", value: 0.9 } },
  { name: "scale.send.1x1.p50", unit: "µs", description: "ack latency p50, 1 × 1 at that scale (pinned)" },
  { name: "tls.send.8x32", unit: "sends/s", description: "send 8 × 32 pipelined over TLS on loopback, as a joined machine", ratioOf: "send.8x32", ratioBudget: { op: ">=", value: 0.5 } },
  { name: "tls.send.8x32.p50", unit: "µs", description: "ack latency p50, 8 × 32 over TLS" },
  { name: "tls.push.p50", unit: "µs", description: "push latency p50 over TLS: send → receiver waiting in check, both joined-machine connections (pinned)", ratioOf: "echo.1x1.p50", ratioBudget: { op: "<=", value: 14 } },
  { name: "tls.push.p99", unit: "µs", description: "push latency p99 over TLS (pinned)" },
  { name: "ui.reference", unit: "ms", description: "Chromium: navigation start → a static page from a bare Bun server drawn (1 000 rows), in turn with the dashboard: the reference for ui.*" },
  { name: "ui.first_screen", unit: "ms", description: "dashboard: navigation start → agents and conversations drawn, 100 000 stored messages, 1 000 agents (Chromium)", ratioOf: "ui.reference", ratioBudget: { op: "<=", value: UI_FIRST } },
  { name: "ui.live.p50", unit: "ms", description: "dashboard: send acknowledged → message on the page, p50", ratioOf: "ui.reference", ratioBudget: { op: "<=", value: UI_LIVE } },
  { name: "ui.live.max", unit: "ms", description: "dashboard: send acknowledged → message on the page, max" },
  { name: "ui.state_change", unit: "ms", description: "dashboard: a message read by its recipient (`read` acknowledged) → shown read in the open conversation, p50", ratioOf: "ui.reference", ratioBudget: { op: "<=", value: UI_LIVE } },
];

/** Does `value` meet `b`? */
export function meets(b: Budget, value: number): boolean {
  return b.op === ">=" ? value >= b.value : value <= b.value;
}
