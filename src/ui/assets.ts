/**
 * The dashboard page, bundled by Bun from an HTML import
 * (https://bun.sh/docs/bundler/html): compiled into the binary by
 * `bun build --compile`, bundled on first use under `bun src/main.ts`.
 * Bun serves an HTML bundle only as a whole route, without our security
 * headers, so the bundle is served once to ourselves on a private Unix socket
 * and kept in memory; the dashboard then serves those bytes with its headers.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import page from "./page/index.html";

/** One static file of the page. */
export interface Asset {
  body: Uint8Array;
  type: string;
}

/** Local paths (`/…`) referenced by `src=` or `href=` in the page's HTML. */
function referencedPaths(html: string): string[] {
  return [...html.matchAll(/\b(?:src|href)="(\/[^"?#]*)"/g)].map((m) => m[1]!);
}

/**
 * Every file of the page by URL path (`/` is the HTML).
 * @throws Error when Bun cannot bundle the page (a build defect).
 */
export async function loadAssets(): Promise<Map<string, Asset>> {
  const dir = mkdtempSync(join(tmpdir(), "ipc-ui-"));
  const unix = join(dir, "assets.sock");
  const server = Bun.serve({ unix, development: false, routes: { "/": page }, fetch: () => new Response("not found", { status: 404 }) });
  try {
    const assets = new Map<string, Asset>();
    const get = async (path: string): Promise<Asset> => {
      const res = await fetch(`http://localhost${path}`, { unix });
      if (!res.ok) throw new Error(`the dashboard's ${path} could not be bundled (HTTP ${res.status})`);
      return { body: new Uint8Array(await res.arrayBuffer()), type: res.headers.get("content-type") ?? "application/octet-stream" };
    };
    const index = await get("/");
    assets.set("/", index);
    for (const path of referencedPaths(new TextDecoder().decode(index.body))) assets.set(path, await get(path));
    return assets;
  } finally {
    server.stop(true);
    rmSync(dir, { recursive: true, force: true });
  }
}
