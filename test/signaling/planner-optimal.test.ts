/**
 * The planner against brute force: on small rooms (7 nodes with given caps and places) every
 * valid tree is enumerated, and the planner's worst pair delay must be within 10% of the best.
 */
import { describe, expect, it } from "vitest";
import { TreePlanner, treePairDelayMs, type PlannerNodeInfo } from "@choirmesh/signaling/planner";
import { Rng } from "@choirmesh/sim/rng";
import { uploadFor } from "./planner-helpers.js";

function instance(seed: number, n: number): PlannerNodeInfo[] {
  const rng = new Rng(seed);
  for (;;) {
    const infos: PlannerNodeInfo[] = Array.from({ length: n }, (_, i) => {
      const hub = rng.next() < 0.6;
      return {
        id: `n${i}`,
        section: "",
        canHub: hub,
        uploadKbps: hub ? uploadFor(1 + rng.int(4)) : 500,
        hasVoice: true,
        location: { lat: rng.range(38, 58), lon: rng.range(-8, 28) },
      };
    });
    // At least two hubs, and enough slots for everyone.
    const caps = infos.map((i) => (i.canHub ? Math.floor((i.uploadKbps - 104) / 104) : 0));
    if (caps.filter((c) => c > 0).length >= 2 && caps.reduce((a, b) => a + b, 0) >= n) return infos;
  }
}

/** Worst pair delay of the best valid tree, by enumerating every parent assignment. */
function bruteForce(infos: PlannerNodeInfo[], link: (a: number, b: number) => number, hubMs: number): number {
  const n = infos.length;
  const cap = infos.map((i) => (i.canHub ? Math.floor((i.uploadKbps - 104) / 104) : 0));
  const hubs = cap.map((c, i) => (c > 0 ? i : -1)).filter((i) => i >= 0);
  const parent = new Int32Array(n);
  const depth = new Int32Array(n);
  const load = new Int32Array(n);
  let best = Infinity;
  const view = {
    parent: (x: number) => (parent[x] < 0 ? null : parent[x]),
    depth: (x: number) => depth[x],
    linkMs: (c: number, p: number) => link(c, p),
    hubMs: () => hubMs,
  };
  const evaluate = () => {
    // Depths, rejecting cycles.
    for (let i = 0; i < n; i++) {
      let d = 0;
      let x = i;
      while (parent[x] >= 0 && d <= n) {
        x = parent[x];
        d++;
      }
      if (d > n) return;
      depth[i] = d;
    }
    let worst = 0;
    for (let a = 0; a < n && worst < best; a++)
      for (let b = a + 1; b < n; b++) worst = Math.max(worst, treePairDelayMs(view, a, b));
    if (worst < best) best = worst;
  };
  for (const root of hubs) {
    parent[root] = -1;
    const others = [...Array(n).keys()].filter((i) => i !== root);
    const assign = (k: number) => {
      if (k === others.length) return evaluate();
      const i = others[k];
      for (const h of hubs) {
        if (h === i || load[h] >= cap[h]) continue;
        parent[i] = h;
        load[h]++;
        assign(k + 1);
        load[h]--;
      }
    };
    assign(0);
  }
  return best;
}

describe("planner against brute force on small rooms", () => {
  const cases = [1, 2, 3, 4, 5, 6, 7, 8].map((seed) => [seed, 7]).concat([9, 10, 11].map((seed) => [seed, 8]));
  for (const [seed, size] of cases) {
    it(`seed ${seed}, ${size} nodes: worst pair delay after rebalance within 10% of the optimum`, () => {
      const infos = instance(seed, size);
      const p = new TreePlanner();
      for (const i of infos) p.addNode(i);
      p.rebalance(size);
      const ids = infos.map((i) => i.id);
      let ours = 0;
      for (let a = 0; a < ids.length; a++) for (let b = a + 1; b < ids.length; b++) ours = Math.max(ours, p.pairDelayMs(ids[a], ids[b]));
      const opt = bruteForce(infos, (a, b) => p.estimateLinkMs(ids[a], ids[b]), p.options.hubDelayMs);
      expect(ours).toBeGreaterThanOrEqual(opt - 1e-9);
      expect(ours, `planner ${ours.toFixed(1)} ms, optimum ${opt.toFixed(1)} ms`).toBeLessThanOrEqual(1.1 * opt);
    });
  }
});
