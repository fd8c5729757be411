/**
 * Forwarded rooms (opts.forwardedDown): a hub at depth d sends each child d + 1 streams, so what
 * it can feed follows its depth (caps.ts). A hub that went deeper after it took its children (a
 * move, a repair, a relocation above it) gives the excess back: each excess child moves, with
 * its subtree, to the best open hub elsewhere, as a repair does; with no hub open anywhere it
 * waits for a slot like a join that finds none (an overloaded uplink would break the audio of
 * every child of that hub).
 */
import { inSubtree } from "./node.js";
import type { PlannerState } from "./state.js";

export function shedOverloaded(s: PlannerState): void {
  for (let guard = 0; s.over.size > 0 && guard < 4; guard++) {
    const hubs = [...s.over];
    s.over.clear();
    for (const h of hubs) {
      if (s.nodes.get(h.id) !== h || h.depth < 0) continue;
      while (h.children.length > h.cap) {
        const c = h.children[h.children.length - 1]!;
        const target = s.findParent(c, c, (q) => q !== h && !inSubtree(q, c));
        if (target === null) s.waitNode(c);
        else s.attach(c, target, "repair");
      }
    }
  }
}
