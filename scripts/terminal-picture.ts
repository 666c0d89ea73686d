/**
 * docs/img/two-terminals.svg from a real run: the README walkthrough typed
 * into two tmux sessions (Fred and Barney) with the compiled dist/ipc, a
 * private HOME/IPC_HOME and a free port; each pane's text is captured with
 * `tmux capture-pane` and drawn as a terminal window.
 *
 *   npm run build && npx bun scripts/terminal-picture.ts
 *
 * Needs tmux (Debian: apt-get install tmux). Loopback only; the broker it
 * starts is stopped and both tmux sessions are killed at the end.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
export const PICTURE = join(ROOT, "docs/img/two-terminals.svg");

/** One terminal window: its title and the lines it shows. */
export interface Pane {
  title: string;
  lines: string[];
}

const escapeXml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Terminal windows side by side as an SVG (monospace text, one <text> per line; `cols` characters wide each). */
export function renderSvg(panes: Pane[], cols: number): string {
  const charW = 8.4, lineH = 18, pad = 12, bar = 28, gap = 16;
  const rows = Math.max(...panes.map((p) => p.lines.length));
  const w = Math.ceil(cols * charW + 2 * pad);
  const h = bar + rows * lineH + 2 * pad;
  const width = panes.length * w + (panes.length - 1) * gap;
  const parts = panes.map((p, i) => {
    const x = i * (w + gap);
    const text = p.lines
      .map((l, j) => `<text x="${x + pad}" y="${bar + pad + (j + 1) * lineH - 5}" xml:space="preserve">${escapeXml(l)}</text>`)
      .join("\n");
    return [
      `<rect x="${x}" y="0" width="${w}" height="${h}" rx="8" fill="#1e1e2e"/>`,
      `<circle cx="${x + 16}" cy="14" r="5" fill="#f38ba8"/><circle cx="${x + 32}" cy="14" r="5" fill="#f9e2af"/><circle cx="${x + 48}" cy="14" r="5" fill="#a6e3a1"/>`,
      `<text x="${x + w / 2}" y="19" text-anchor="middle" fill="#a6adc8" font-size="13">${escapeXml(p.title)}</text>`,
      text,
    ].join("\n");
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${h}" viewBox="0 0 ${width} ${h}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14" fill="#cdd6f4">`,
    `<title>Two terminals talking through ipc: Barney sends, Fred's check --wait prints it at once, Fred answers</title>`,
    ...parts,
    `</svg>`,
    "",
  ].join("\n");
}

/** A tmux server of our own (-L): no clash with the user's tmux or another run's sessions. */
const SOCKET = `ipc-picture-${process.pid}`;

function tmux(...args: string[]): string {
  const r = Bun.spawnSync(["tmux", "-L", SOCKET, ...args], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`tmux ${args.join(" ")}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

/** Waits (bounded: 20 s) until the pane shows `text`. */
async function waitFor(session: string, text: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (tmux("capture-pane", "-p", "-t", session).includes(text)) return;
    await Bun.sleep(100);
  }
  throw new Error(`${session} never showed "${text}":\n${tmux("capture-pane", "-p", "-t", session)}`);
}

/** Waits (bounded: 20 s) until the pane's last line is a bare prompt, so typed text is not echoed early. */
async function waitForPrompt(session: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const shown = tmux("capture-pane", "-p", "-t", session).trimEnd().split("\n");
    if (shown.at(-1) === "$") return;
    await Bun.sleep(100);
  }
  throw new Error(`${session} shows no prompt:\n${tmux("capture-pane", "-p", "-t", session)}`);
}

/** Runs the walkthrough in two tmux sessions and returns what each pane shows. */
export async function captureWalkthrough(cols = 62, rows = 13): Promise<Pane[]> {
  const binDir = join(ROOT, "dist");
  if (!existsSync(join(binDir, "ipc"))) throw new Error("no dist/ipc: run npm run build first");
  const home = mkdtempSync(join(tmpdir(), "ipc-picture-"));
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  const env = `env -i HOME=${home} IPC_HOME=${home}/.ipc IPC_PORT=${port} TERM=xterm PATH=${binDir}:/usr/bin:/bin PS1='$ ' bash --norc --noprofile`;
  const sessions = ["ipc-picture-fred", "ipc-picture-barney"];
  try {
    for (const s of sessions) tmux("new-session", "-d", "-s", s, "-x", String(cols), "-y", String(rows), env);
    const type = async (s: string, line: string) => {
      await waitForPrompt(s);
      tmux("send-keys", "-t", s, line, "Enter");
    };
    const [fred, barney] = sessions as [string, string];
    await type(fred, "export IPC_NAME=fred");
    await type(fred, "ipc register fred");
    await waitFor(fred, "Registered");
    await type(fred, "ipc check --wait 60");
    await Bun.sleep(300); // the check is held by the broker before Barney sends
    await type(barney, "export IPC_NAME=barney");
    await type(barney, "ipc register barney");
    await waitFor(barney, "Registered");
    await type(barney, 'ipc send fred "Hi Fred, lunch at noon?"');
    await waitFor(fred, "lunch at noon");
    await type(barney, "ipc check --wait 60");
    await Bun.sleep(300);
    await type(fred, 'ipc send barney "Sure, see you at noon"');
    await waitFor(barney, "see you at noon\n");
    await Bun.sleep(200);
    const lines = (s: string) => tmux("capture-pane", "-p", "-t", s).replace(/\s+$/, "").split("\n").map((x) => x.trimEnd());
    return [
      { title: "Terminal 1 — Fred", lines: lines(fred) },
      { title: "Terminal 2 — Barney", lines: lines(barney) },
    ];
  } finally {
    Bun.spawnSync(["tmux", "-L", SOCKET, "kill-server"]);
    Bun.spawnSync([join(binDir, "ipc"), "stop", "--port", String(port), "--home", join(home, ".ipc")]);
    rmSync(home, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const cols = 62;
  const panes = await captureWalkthrough(cols);
  writeFileSync(PICTURE, renderSvg(panes, cols));
  console.error(`wrote ${PICTURE}`);
}
