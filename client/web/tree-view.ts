/**
 * Draws the room's tree as SVG: one circle per node (hubs square-ish, the singer highlighted),
 * one line per parent link coloured by delay (see tree-layout.ts for what the colour means).
 */
import type { TreeMessage } from "@choirmesh/protocol";
import { hopEstimateMs, layoutTree, linkKey } from "./tree-layout.js";

const SVG = "http://www.w3.org/2000/svg";

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>, parent?: Element): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent?.appendChild(e);
  return e;
}

export interface TreeViewInput {
  tree: TreeMessage;
  self: string | null;
  frameMs: number;
  /** The singer's own link: parent id and measured RTT, ms. */
  ownLink?: { parent: string; rttMs: number } | null;
}

export class TreeView {
  private lastKey = "";

  constructor(
    private readonly host: HTMLElement,
    private readonly caption: HTMLElement,
  ) {}

  render(input: TreeViewInput): void {
    const { tree, self, frameMs, ownLink } = input;
    const measured = new Map<string, number>();
    if (ownLink && self) measured.set(linkKey(ownLink.parent, self), ownLink.rttMs / 2);
    // Redraw only when something visible changed (the tree is polled every second).
    const key = JSON.stringify([tree.epoch, tree.nodes.map((n) => [n.id, n.parent, n.name]), self, frameMs, ownLink ? Math.round(ownLink.rttMs * 10) : null]);
    if (key === this.lastKey) return;
    this.lastKey = key;
    const layout = layoutTree(tree.nodes, { self, frameMs, measured });
    const svg = el("svg", { viewBox: `0 0 ${layout.width} ${layout.height}`, width: layout.width, height: layout.height, role: "img", "aria-label": `tree of room ${tree.room}`, class: "tree" });
    svg.dataset.nodes = String(layout.nodes.length);
    for (const l of layout.links) {
      const line = el("line", { x1: l.x1, y1: l.y1, x2: l.x2, y2: l.y2, stroke: l.colour, "stroke-width": l.measured ? 4 : 3, class: "link" }, svg);
      line.dataset.from = l.from;
      line.dataset.to = l.to;
      line.dataset.delayMs = l.delayMs.toFixed(1);
      line.dataset.measured = String(l.measured);
      el("title", {}, line).textContent = `${l.measured ? "measured" : "estimated"} ${l.delayMs.toFixed(1)} ms`;
    }
    for (const n of layout.nodes) {
      const g = el("g", { class: `node${n.hub ? " hub" : ""}${n.self ? " self" : ""}${n.waiting ? " waiting" : ""}`, transform: `translate(${n.x},${n.y})` }, svg);
      g.dataset.id = n.id;
      if (n.hub) el("rect", { x: -14, y: -14, width: 28, height: 28, rx: 6 }, g);
      else el("circle", { r: 13 }, g);
      const label = el("text", { y: 30, "text-anchor": "middle" }, g);
      label.textContent = n.name || n.id;
      if (n.section) {
        const sec = el("text", { y: 44, "text-anchor": "middle", class: "section" }, g);
        sec.textContent = n.section;
      }
      el("title", {}, g).textContent = `${n.name} (${n.id})${n.waiting ? " — waiting for a hub" : ` — depth ${n.depth}`}`;
    }
    this.host.replaceChildren(svg);
    const waiting = layout.nodes.filter((n) => n.waiting).length;
    this.caption.textContent =
      `${tree.nodes.length} node${tree.nodes.length === 1 ? "" : "s"}${waiting ? `, ${waiting} waiting` : ""}. ` +
      `Link colour: delay, green short to red long — measured (RTT/2) on your own link, elsewhere estimated ` +
      `from depth at ${hopEstimateMs(frameMs)} ms per hop (2 frames + 5 ms).`;
  }
}
