/**
 * Churn on the planner's tree: Poisson joins and leaves, the moves the planner answers with, and
 * how long cut-off singers are without the choir. A leave is taken as a crash (the worst case):
 * its children notice the silence, then link to a new parent; their own subtrees stay attached.
 */
import type { Rng } from "./ports.js";
import type { Singer } from "./model/population.js";
import { CHURN_DEFAULTS } from "./model/defaults.js";
import { summarizeValues, type ValueSummary } from "@choirmesh/common/quantiles";
import type { PlannerLike } from "./topologies/planner-port.js";
import { singerInfo } from "./topologies/tree.js";

export interface ChurnOptions {
  durationS: number;
  meanStayS: number;
  detectMs: number;
  connectMs: number;
  serverDecisionMs: number;
}

export interface ChurnResult {
  simulatedS: number;
  joins: number;
  leaves: number;
  moves: number;
  movesPerJoin: ValueSummary;
  movesPerLeave: ValueSummary;
  /** Children of a leaving node, who must re-parent. */
  orphansPerLeave: ValueSummary;
  /** Everyone below a leaving node: they hear nothing until their branch is repaired. */
  cutOffPerLeave: ValueSummary;
  /** Share of orphans whose new parent is the backup the planner had announced. */
  backupUsedShare: number;
  /** Time from the crash until an orphan's branch hears the choir again (ms). */
  repairMs: ValueSummary;
  /** Answers of the planner that broke its own invariants (e.g. a parent it no longer knows). */
  plannerFaults: number;
  firstFault: string | null;
  /** Planner time per event (µs). */
  plannerUsPerEvent: ValueSummary;
  model: ChurnOptions;
}

function exp(rng: Rng, rate: number): number {
  return -Math.log(1 - rng.next()) / rate;
}

function subtreeSize(p: PlannerLike, id: string): number {
  let n = 0;
  const stack = [id];
  while (stack.length) {
    const x = stack.pop()!;
    n++;
    for (const c of p.childrenOf(x)) stack.push(c);
  }
  return n;
}

/**
 * @param present singers now in the tree (ids); mutated as they come and go.
 * @param newcomers singers who may join, in order.
 */
export function runChurn(
  planner: PlannerLike,
  present: Singer[],
  newcomers: readonly Singer[],
  rng: Rng,
  opts: Partial<ChurnOptions> = {},
): ChurnResult {
  const o: ChurnOptions = { ...CHURN_DEFAULTS, ...opts };
  const n0 = present.length;
  const rate = (2 * n0) / o.meanStayS;
  const movesJoin: number[] = [];
  const movesLeave: number[] = [];
  const orphans: number[] = [];
  const cutOff: number[] = [];
  const repair: number[] = [];
  const plannerUs: number[] = [];
  let backupUsed = 0;
  let faults = 0;
  let firstFault: string | null = null;
  let next = 0;
  let t = exp(rng, rate);
  while (t < o.durationS) {
    const join = rng.next() < 0.5 && next < newcomers.length;
    if (join) {
      const s = newcomers[next++];
      const a = performance.now();
      const moves = planner.addNode(singerInfo(s));
      plannerUs.push((performance.now() - a) * 1000);
      movesJoin.push(moves.length);
      present.push(s);
    } else if (present.length > 1) {
      const k = Math.floor(rng.next() * present.length);
      const s = present[k];
      present[k] = present[present.length - 1];
      present.pop();
      const kids = [...planner.childrenOf(s.id)];
      const backups = kids.map((c) => planner.backupOf(c));
      let cut = 0;
      for (const c of kids) cut += subtreeSize(planner, c);
      const a = performance.now();
      const moves = planner.removeNode(s.id);
      plannerUs.push((performance.now() - a) * 1000);
      movesLeave.push(moves.length);
      orphans.push(kids.length);
      cutOff.push(cut);
      kids.forEach((c, i) => {
        const parent = planner.parentOf(c);
        if (!planner.has(c) || (parent !== null && !planner.has(parent))) {
          faults++;
          firstFault ??= `after ${s.id} left, its child ${c} ${planner.has(c) ? `has parent ${parent}, unknown to the planner` : "is gone"}`;
          return;
        }
        const viaBackup = parent !== null && parent === backups[i];
        if (viaBackup) backupUsed++;
        const rtt = parent === null ? 0 : 2 * planner.estimateLinkMs(c, parent);
        repair.push(o.detectMs + (viaBackup ? 0 : o.serverDecisionMs) + o.connectMs + 2 * rtt);
      });
    }
    t += exp(rng, rate);
  }
  return {
    simulatedS: o.durationS,
    joins: movesJoin.length,
    leaves: movesLeave.length,
    moves: movesJoin.reduce((a, b) => a + b, 0) + movesLeave.reduce((a, b) => a + b, 0),
    movesPerJoin: summarizeValues(movesJoin),
    movesPerLeave: summarizeValues(movesLeave),
    orphansPerLeave: summarizeValues(orphans),
    cutOffPerLeave: summarizeValues(cutOff),
    backupUsedShare: repair.length ? backupUsed / repair.length : 1,
    repairMs: summarizeValues(repair),
    plannerFaults: faults,
    firstFault,
    plannerUsPerEvent: summarizeValues(plannerUs),
    model: o,
  };
}
