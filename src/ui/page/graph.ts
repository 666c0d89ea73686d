/**
 * The picture of who talks to whom: agents and channels (and `*` for
 * broadcasts) as nodes, the last hour's messages as edges whose width grows
 * with their count. Laid out by d3-force (https://d3js.org/d3-force, v3),
 * drawn as SVG built from elements and text nodes only (CSP-safe: no inline
 * styles, no HTML). `GET /api/graph` gives the hour; each live message adds
 * to its edge. Edges carry `data-edge="from→to"` and `data-count`.
 */
import { forceCenter, forceCollide, forceLink, forceManyBody, forceSimulation, forceX, forceY, type Simulation, type SimulationLinkDatum, type SimulationNodeDatum } from "d3-force";
import type { UiGraph } from "../schemas.ts";
import { svg } from "./render.ts";

interface Node extends SimulationNodeDatum {
  id: string;
  kind: "agent" | "channel" | "everyone";
  online: boolean;
  g?: SVGGElement;
}
interface Edge extends SimulationLinkDatum<Node> {
  key: string;
  count: number;
  line?: SVGLineElement;
  hot: number;
}

/** Labels are drawn for every node up to this many nodes; past it only for nodes with edges. */
const LABEL_ALL_BELOW = 40;
/** Nodes drawn at most: a live message to or from a name past it leaves the picture as it is. */
const MAX_NODES = 120;

export class Graph {
  private readonly nodes = new Map<string, Node>();
  private readonly edges = new Map<string, Edge>();
  private readonly sim: Simulation<Node, Edge>;
  private readonly edgeLayer = svg("g", { class: "edges" });
  private readonly nodeLayer = svg("g", { class: "nodes" });
  private width = 300;
  private height = 290;

  constructor(private readonly root: SVGSVGElement) {
    root.append(this.edgeLayer, this.nodeLayer);
    this.sim = forceSimulation<Node, Edge>([])
      .force("charge", forceManyBody<Node>().strength(-260))
      .force("link", forceLink<Node, Edge>([]).id((n) => n.id).distance(90).strength(0.3))
      .force("collide", forceCollide<Node>(26))
      .force("x", forceX<Node>().strength(0.06))
      .force("y", forceY<Node>().strength(0.08))
      .force("center", forceCenter<Node>(0, 0))
      .alphaDecay(0.05)
      .on("tick", () => this.draw());
    // Sized by the observer's first callback, after the first layout: measuring here forced a layout of
    // the whole page before it had any data (40–60 ms of the first screen).
    new ResizeObserver(() => this.resize()).observe(root);
  }

  private resize(): void {
    const r = this.root.getBoundingClientRect();
    if (r.width > 0) this.width = r.width;
    if (r.height > 0) this.height = r.height;
    this.root.setAttribute("viewBox", `${-this.width / 2} ${-this.height / 2} ${this.width} ${this.height}`);
  }

  /** Replaces everything with `g` (keeping the places of nodes still there). */
  load(g: UiGraph): void {
    const keep = new Map(this.nodes);
    this.nodes.clear();
    this.edges.clear();
    for (const n of g.nodes) {
      const old = keep.get(n.id);
      this.nodes.set(n.id, { ...(old && { x: old.x, y: old.y }), id: n.id, kind: n.kind, online: n.online });
    }
    for (const e of g.edges) this.addEdge(e.from, e.to, e.count, false);
    this.rebuild(1);
  }

  /** One message from `from` to `to` (a name, a #channel or `*`): its edge grows (in place), or appears (laid out again, once per burst). */
  message(from: string, to: string): void {
    if (from === to) return;
    const e = this.edges.get(`${from}→${to}`);
    if (e !== undefined) {
      e.count++;
      e.hot = Date.now();
      if (e.line !== undefined) this.styleEdge(e);
      return;
    }
    const fresh = [from, to].filter((n) => !this.nodes.has(n)).length;
    if (this.nodes.size + fresh > MAX_NODES) return;
    this.addEdge(from, to, 1, true);
    this.rebuildSoon ??= setTimeout(() => {
      this.rebuildSoon = undefined;
      this.rebuild(0.3);
    }, 200);
  }

  private rebuildSoon: ReturnType<typeof setTimeout> | undefined;

  /** An edge's width, count and title from its count. */
  private styleEdge(e: Edge): void {
    const line = e.line!;
    line.setAttribute("data-count", String(e.count));
    line.setAttribute("stroke-width", Math.min(9, 1 + Math.log2(e.count) * 1.6).toFixed(1));
    line.setAttribute("class", Date.now() - e.hot < 4000 ? "hot" : "");
    line.replaceChildren(svg("title", {}, `${e.key.replace("→", " → ")}: ${e.count} message${e.count === 1 ? "" : "s"} in the last hour`));
  }

  /** Whether `name` is online (its node's ring). */
  online(name: string, on: boolean): void {
    const n = this.nodes.get(name);
    if (n === undefined || n.online === on) return;
    n.online = on;
    n.g?.classList.toggle("on", on);
  }

  private node(id: string): Node {
    let n = this.nodes.get(id);
    if (n === undefined) {
      n = { id, kind: id === "*" ? "everyone" : id.startsWith("#") ? "channel" : "agent", online: false, x: (Math.random() - 0.5) * 40, y: (Math.random() - 0.5) * 40 };
      this.nodes.set(id, n);
    }
    return n;
  }

  private addEdge(from: string, to: string, count: number, hot: boolean): void {
    if (from === to) return;
    const a = this.node(from);
    const b = this.node(to);
    const key = `${from}→${to}`;
    const e = this.edges.get(key);
    if (e === undefined) this.edges.set(key, { key, source: a, target: b, count, hot: hot ? Date.now() : 0 });
    else {
      e.count += count;
      if (hot) e.hot = Date.now();
    }
  }

  /** Rebuilds the SVG elements and restarts the layout at `alpha`. */
  private rebuild(alpha: number): void {
    const edges = [...this.edges.values()];
    const linked = new Set<string>();
    for (const e of edges) {
      linked.add((e.source as Node).id);
      linked.add((e.target as Node).id);
    }
    const nodes = [...this.nodes.values()];
    const labelAll = nodes.length <= LABEL_ALL_BELOW;
    this.edgeLayer.replaceChildren(
      ...edges.map((e) => {
        e.line = svg("line", { "data-edge": e.key });
        this.styleEdge(e);
        return e.line;
      }),
    );
    this.nodeLayer.replaceChildren(
      ...nodes.map((n) => {
        const r = n.kind === "agent" ? 7 : 9;
        const label = labelAll || linked.has(n.id);
        n.g = svg(
          "g",
          { class: `${n.kind}-node${n.online ? " on" : ""}`, "data-node": n.id },
          svg("circle", { r: String(r) }),
          label ? svg("text", { x: String(r + 3), y: "3.5" }, n.kind === "everyone" ? "everyone" : n.id) : null,
          svg("title", {}, n.kind === "agent" ? `${n.id}${n.online ? " (online)" : ""}` : n.kind === "channel" ? `channel ${n.id}` : "broadcasts"),
        );
        return n.g;
      }),
    );
    if (nodes.length === 0) this.nodeLayer.append(svg("text", { class: "empty", x: "-90", y: "0" }, "no messages in the last hour"));
    this.sim.nodes(nodes);
    (this.sim.force("link") as ReturnType<typeof forceLink<Node, Edge>>).links(edges);
    this.sim.alpha(Math.max(this.sim.alpha(), alpha)).restart();
    this.draw();
  }

  private draw(): void {
    const hw = this.width / 2 - 12;
    const hh = this.height / 2 - 12;
    for (const n of this.nodes.values()) {
      // Room for the label on the right (about 6 px a character).
      const label = n.g?.querySelector("text") ? Math.min(hw, 12 + 6 * (n.kind === "everyone" ? 8 : n.id.length)) : 0;
      n.x = Math.max(-hw, Math.min(hw - label, n.x ?? 0));
      n.y = Math.max(-hh, Math.min(hh, n.y ?? 0));
      n.g?.setAttribute("transform", `translate(${n.x.toFixed(1)},${n.y.toFixed(1)})`);
    }
    for (const e of this.edges.values()) {
      const s = e.source as Node;
      const t = e.target as Node;
      // Both ways between two nodes: each line a little to its own side, so both show.
      let ox = 0;
      let oy = 0;
      if (this.edges.has(`${t.id}→${s.id}`)) {
        const dx = (t.x ?? 0) - (s.x ?? 0);
        const dy = (t.y ?? 0) - (s.y ?? 0);
        const len = Math.hypot(dx, dy) || 1;
        ox = (-dy / len) * 2.5;
        oy = (dx / len) * 2.5;
      }
      e.line?.setAttribute("x1", ((s.x ?? 0) + ox).toFixed(1));
      e.line?.setAttribute("y1", ((s.y ?? 0) + oy).toFixed(1));
      e.line?.setAttribute("x2", ((t.x ?? 0) + ox).toFixed(1));
      e.line?.setAttribute("y2", ((t.y ?? 0) + oy).toFixed(1));
    }
  }
}
