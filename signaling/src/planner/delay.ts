/**
 * The delay model, in one place for the planner, the bench and the simulator.
 *
 * One-way mouth-to-ear delay between singers a and b along a tree: the pair meets at its
 * lowest common ancestor L. Every link on the path a -> ... -> L -> ... -> b costs its one-way
 * latency, which includes both ends' access delay (a home connection ~3 ms, a data-centre hub
 * ~0); every hub the stream passes through -- L itself and every node strictly between a and
 * b -- costs the hub delay (frame + jitter buffer + look-ahead + processing, see
 * hubDelayFromTiming). The endpoints' own capture and playback are left out: they are the
 * same for every topology. When a is an ancestor of b, a hears b's up mix directly, so the
 * path has no hub at a.
 *
 *   delay(a, b) = sum(link(u, v) for links on the path) + sum(hubMs(h) for h on the path, h != a, b)
 *   link(u, v)  = propagation(u, v) + access(u) + access(v)      (geo: km x 2.1 / 200 km per ms)
 *
 * A pair meeting at the root with depths da, db crosses da + db links and da + db - 1 hubs:
 * hop count decides the tree's latency, the links' lengths come second.
 */

export interface TreeDelayView<N> {
  parent(n: N): N | null;
  /** Depth below the root (root 0). */
  depth(n: N): number;
  /** One-way latency of the link between a child and its parent. */
  linkMs(child: N, parent: N): number;
  /** Delay a stream takes passing through hub n. */
  hubMs(n: N): number;
}

/** Mouth-to-ear delay between a and b along the tree; Infinity when they share no root. */
export function treePairDelayMs<N>(view: TreeDelayView<N>, a: N, b: N): number {
  if (a === b) return 0;
  let x = a;
  let y = b;
  let dx = view.depth(x);
  let dy = view.depth(y);
  if (dx < 0 || dy < 0) return Infinity;
  let total = 0;
  // Climb the deeper side; every node left behind that is not an endpoint is a hub passed.
  while (dx > dy) {
    const p = view.parent(x);
    if (p === null) return Infinity;
    total += view.linkMs(x, p) + (x !== a ? view.hubMs(x) : 0);
    x = p;
    dx--;
  }
  while (dy > dx) {
    const p = view.parent(y);
    if (p === null) return Infinity;
    total += view.linkMs(y, p) + (y !== b ? view.hubMs(y) : 0);
    y = p;
    dy--;
  }
  while (x !== y) {
    const px = view.parent(x);
    const py = view.parent(y);
    if (px === null || py === null) return Infinity;
    total += view.linkMs(x, px) + (x !== a ? view.hubMs(x) : 0);
    total += view.linkMs(y, py) + (y !== b ? view.hubMs(y) : 0);
    x = px;
    y = py;
  }
  // x is the LCA: a hub passed unless it is one of the endpoints.
  if (x !== a && x !== b) total += view.hubMs(x);
  return total;
}

export interface TreeDiameterView<N> extends TreeDelayView<N> {
  children(n: N): readonly N[];
  /** Only voices count as pair endpoints (a dedicated hub has none). */
  hasVoice(n: N): boolean;
}

/** The worst pair delay over all pairs of voices in the tree under root, in O(n). */
export function treeDiameterMs<N>(view: TreeDiameterView<N>, root: N): number {
  // best(n): the longest delay from a voice in n's subtree up to the point of leaving n
  // upward (n's own hub delay included when the voice is below n).
  const order: N[] = [root];
  for (let i = 0; i < order.length; i++) for (const c of view.children(order[i])) order.push(c);
  const best = new Map<N, number>();
  let diameter = 0;
  for (let i = order.length - 1; i >= 0; i--) {
    const n = order[i];
    let top1 = -Infinity;
    let top2 = -Infinity;
    for (const c of view.children(n)) {
      const v = (best.get(c) ?? -Infinity) + view.linkMs(c, n);
      if (v > top1) {
        top2 = top1;
        top1 = v;
      } else if (v > top2) top2 = v;
    }
    if (top2 > -Infinity) diameter = Math.max(diameter, top1 + top2 + view.hubMs(n));
    if (view.hasVoice(n) && top1 > -Infinity) diameter = Math.max(diameter, top1);
    const through = top1 + view.hubMs(n);
    best.set(n, Math.max(view.hasVoice(n) ? 0 : -Infinity, through));
  }
  return diameter;
}
