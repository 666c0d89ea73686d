/**
 * The runnable blocks of a markdown page for tests/docs/run-blocks.test.ts:
 * fenced blocks (at any indentation) with the `docs-test` marker written in
 * an HTML comment just before them.
 *
 * Marker grammar (one or more comment lines right above the fence):
 *   <!-- docs-test: KEY KEY=VALUE KEY=`a value with spaces` — free text reason -->
 * Keys: `skip` (not run; the reason is listed), `terminal=NAME` (a shell of its
 * own, started from the page's shell; blocks of different terminals run at the
 * same time), `machine=NAME` (a terminal on another machine: its own HOME,
 * IPC_HOME and IPC_PORT), `output` (this block is what the block above it
 * printed), `fails=N,M` (these command lines of the block exit non-zero),
 * `needs=PROGRAM` (skipped, saying so, when PROGRAM is not on PATH),
 * `given=`COMMAND`` (run first in the same shell, unseen by the reader),
 * `bound=SECONDS` (each line is stopped with Ctrl-C after that long, as a
 * reader stops `ipc watch`).
 */

/** What a block is: shell commands, a `$ `-prompted transcript, shown output, or anything else. */
export type BlockKind = "commands" | "transcript" | "output" | "other";

/** A block's docs-test marker, parsed. */
export interface Marker {
  skip?: string;
  terminal?: string;
  machine?: string;
  output?: boolean;
  fails?: number[];
  needs?: string[];
  given?: string[];
  bound?: number;
  /** The free text after the dash. */
  reason?: string;
}

/** One fenced block of a page. `line` is the 1-based line of its opening fence. */
export interface Block {
  page: string;
  line: number;
  lang: string;
  body: string;
  kind: BlockKind;
  marker: Marker;
}

/** Fence languages whose blocks are shell commands. */
const SHELL = new Set(["sh", "bash", "shell", "console", "zsh"]);

const MARKER = /^\s*<!--\s*docs-test:\s*([\s\S]*?)\s*-->\s*$/;

/** Parses the text of a marker comment (after `docs-test:`). @throws on an unknown key. */
export function parseMarker(text: string): Marker {
  const marker: Marker = {};
  const dash = text.replace(/`[^`]*`/g, (quoted) => "x".repeat(quoted.length)).search(/\s(—|--)\s/); // not inside a `value`
  const keys = dash === -1 ? text : text.slice(0, dash);
  if (dash !== -1) marker.reason = text.slice(dash).replace(/^\s(—|--)\s/, "").trim();
  for (const m of keys.matchAll(/([a-z]+)(?:=(`[^`]*`|\S+))?/g)) {
    const key = m[1]!;
    const value = m[2]?.replace(/^`|`$/g, "");
    switch (key) {
      case "skip": marker.skip = marker.reason ?? "no reason given"; break;
      case "terminal": marker.terminal = need(key, value); break;
      case "machine": marker.machine = need(key, value); break;
      case "output": marker.output = true; break;
      case "fails": marker.fails = need(key, value).split(",").map(Number); break;
      case "needs": (marker.needs ??= []).push(need(key, value)); break;
      case "given": (marker.given ??= []).push(need(key, value)); break;
      case "bound": marker.bound = Number(need(key, value)); break;
      default: throw new Error(`unknown docs-test marker key "${key}" in "${text}"`);
    }
  }
  return marker;
}

function need(key: string, value: string | undefined): string {
  if (value === undefined || value === "") throw new Error(`docs-test marker: ${key} needs a value (${key}=…)`);
  return value;
}

/** Every fenced block of `text` with its marker and kind. */
export function pageBlocks(page: string, text: string): Block[] {
  const lines = text.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!;
    const lang = open[2]!;
    let end = i + 1;
    while (end < lines.length && lines[end] !== `${indent}\`\`\``) end++;
    const body = lines.slice(i + 1, end).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l.trimStart())).join("\n");
    let markerText = "";
    for (let j = i - 1; j >= 0 && MARKER.test(lines[j]!); j--) markerText = `${MARKER.exec(lines[j]!)![1]} ${markerText}`;
    const marker = markerText ? parseMarker(markerText.trim()) : {};
    blocks.push({ page, line: i + 1, lang, body, kind: kindOf(lang, body, marker), marker });
    i = end;
  }
  return blocks;
}

function kindOf(lang: string, body: string, marker: Marker): BlockKind {
  if (marker.output) return "output";
  if (/^\$ /m.test(body) && (SHELL.has(lang) || lang === "text" || lang === "")) return "transcript";
  if (SHELL.has(lang)) return "commands";
  return "other";
}

/** A command line of a block, with the output shown under it (transcripts only). */
export interface CommandLine {
  /** 1-based number among the block's command lines (what `fails=` counts). */
  n: number;
  text: string;
  shown?: string[];
}

/**
 * Whether `text` is still an unfinished shell command: an open quote, `if`,
 * loop or brace group, or a here-document without its end line (asks
 * `bash -n`, which parses without running anything).
 */
export function unfinished(text: string): boolean {
  const r = Bun.spawnSync(["bash", "--noprofile", "--norc", "-n", "-c", text], { stdout: "ignore", stderr: "pipe" });
  return /unexpected end of file|unexpected EOF|here-document at line \d+ delimited by end-of-file/.test(r.stderr.toString());
}

/**
 * The command lines of a block as a reader types them: one per line, but a
 * line that leaves a command unfinished (a trailing backslash, an open quote,
 * `if`/`for`/`{`, a here-document) takes the following lines with it; blank
 * and comment-only lines are dropped. In a transcript: the `$ ` lines, with
 * the lines under each as its shown output.
 */
export function commandLines(block: Block): CommandLine[] {
  const out: CommandLine[] = [];
  const raw = block.body.split("\n");
  if (block.kind === "transcript") {
    for (const line of raw) {
      if (line.startsWith("$ ")) out.push({ n: out.length + 1, text: line.slice(2), shown: [] });
      else if (out.length > 0 && line.trim() !== "") out.at(-1)!.shown!.push(line);
    }
    return out;
  }
  let pending: string[] = [];
  raw.forEach((line, i) => {
    if (pending.length === 0 && (line.trim() === "" || line.trim().startsWith("#"))) return;
    pending.push(line);
    const text = pending.join("\n");
    if (i < raw.length - 1 && (line.endsWith("\\") || unfinished(text))) return;
    out.push({ n: out.length + 1, text });
    pending = [];
  });
  return out;
}
