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
 *
 * The forwarded down path (docs/design.md, "The cheap hop") makes the two halves differ: a is the
 * speaker, b the listener; a hub on a's side of the path, and L, mix (hubMs, the per-hop figure);
 * a hub strictly between L and b only forwards what comes from above (downMs, the per-level
 * figure). Without downMs both halves cost hubMs (the re-encoding path), and delay(a, b) is
 * symmetric.
 *
 * With a hear phase (runtime/hear-phase.ts) a listener hears all its streams at once, just after
 * the one from the top of the tree: a pair that meets below the root waits for it, belowRootMs
 * (less than a frame; the engine's measured figure, planner/engine-timing.ts).
 */

export interface TreeDelayView<N> {
  parent(n: N): N | null;
  /** Depth below the root (root 0). */
  depth(n: N): number;
  /** One-way latency of the link between a child and its parent. */
  linkMs(child: N, parent: N): number;
  /** Delay a stream takes passing through hub n on its way up (and at the meeting point). */
  hubMs(n: N): number;
  /** Delay a stream takes passing through hub n on its way down; default hubMs. */
  downMs?(n: N): number;
  /** What a pair that meets at n, not the root, waits for the top stream (a hear phase); default 0. */
  belowRootMs?(n: N): number;
}

/** Mouth-to-ear delay from speaker a to listener b along the tree; Infinity when they share no root. */
export function treePairDelayMs<N>(view: TreeDelayView<N>, a: N, b: N): number {
  if (a === b) return 0;
  const down = view.downMs ? (n: N) => view.downMs!(n) : (n: N) => view.hubMs(n);
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
    total += view.linkMs(y, p) + (y !== b ? down(y) : 0);
    y = p;
    dy--;
  }
  while (x !== y) {
    const px = view.parent(x);
    const py = view.parent(y);
    if (px === null || py === null) return Infinity;
    total += view.linkMs(x, px) + (x !== a ? view.hubMs(x) : 0);
    total += view.linkMs(y, py) + (y !== b ? down(y) : 0);
    x = px;
    y = py;
  }
  // x is the LCA: a hub passed unless it is one of the endpoints.
  if (x !== a && x !== b) total += view.hubMs(x);
  if (view.belowRootMs && view.parent(x) !== null) total += view.belowRootMs(x);
  return total;
}

export interface TreeDiameterView<N> extends TreeDelayView<N> {
  children(n: N): readonly N[];
  /** Only voices count as pair endpoints (a dedicated hub has none). */
  hasVoice(n: N): boolean;
}

/** The worst pair delay over all (speaker, listener) pairs of voices in the tree under root, in O(n). */
export function treeDiameterMs<N>(view: TreeDiameterView<N>, root: N): number {
  const down = view.downMs ? (n: N) => view.downMs!(n) : (n: N) => view.hubMs(n);
  // up(n): the longest delay from a voice in n's subtree to the point of leaving n upward (n's
  // hub delay included when the voice is below n); dn(n): from arriving at n from above to a
  // voice in n's subtree (n's down delay included when the voice is below n).
  const order: N[] = [root];
  for (let i = 0; i < order.length; i++) for (const c of view.children(order[i])) order.push(c);
  const up = new Map<N, number>();
  const dn = new Map<N, number>();
  let diameter = 0;
  for (let i = order.length - 1; i >= 0; i--) {
    const n = order[i];
    // The two best children for each direction, so that speaker and listener sit in different ones.
    let u1 = -Infinity, u2 = -Infinity, d1 = -Infinity, d2 = -Infinity;
    let u1c: N | null = null;
    let d1c: N | null = null;
    for (const c of view.children(n)) {
      const l = view.linkMs(c, n);
      const u = (up.get(c) ?? -Infinity) + l;
      const d = (dn.get(c) ?? -Infinity) + l;
      if (u > u1) [u2, u1, u1c] = [u1, u, c];
      else if (u > u2) u2 = u;
      if (d > d1) [d2, d1, d1c] = [d1, d, c];
      else if (d > d2) d2 = d;
    }
    const cross = u1c !== null && u1c === d1c ? Math.max(u1 + d2, u2 + d1) : u1 + d1;
    // Pairs that meet at n, not the root, wait for the top stream (a hear phase).
    const wait = view.belowRootMs && view.parent(n) !== null ? view.belowRootMs(n) : 0;
    if (cross > -Infinity) diameter = Math.max(diameter, cross + view.hubMs(n) + wait);
    // n speaks to a voice below it, or listens to one: no hub at n.
    if (view.hasVoice(n)) diameter = Math.max(diameter, u1 + wait, d1 + wait);
    up.set(n, Math.max(view.hasVoice(n) ? 0 : -Infinity, u1 + view.hubMs(n)));
    dn.set(n, Math.max(view.hasVoice(n) ? 0 : -Infinity, d1 + down(n)));
  }
  return diameter;
}
