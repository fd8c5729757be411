/**
 * Emulation plans for the model run's topologies over the same singers: the planner's tree (as
 * built by the model run) and the star (one dedicated hub at the best cloud city, every singer
 * its child). Each plan carries the model's pair delay and the hub count of every pair's path.
 */
import { toUnitVec } from "@choirmesh/signaling/latency";
import type { Singer } from "../model/population.js";
import type { CloudRegion } from "../model/cloud-regions.js";
import type { BuiltTree } from "../topologies/tree.js";
import type { Topology } from "../topologies/types.js";
import type { EmuNodeSpec, EmuPlan } from "./choir.js";
import { dataCentreEnd, homeEnd, linkParams, type NetEnd } from "./network.js";

export interface TopologyPlan extends EmuPlan {
  name: "tree" | "star";
  /** Plan index of each singer (by singer index). */
  nodeOf: Int32Array;
  /** The model's one-way delay from singer a to singer b (singer indices). */
  modelMs(a: number, b: number): number;
}

export interface VoiceAssignment {
  /** Signature voice index per singer index, or -1 for silence. */
  voiceOf: Int32Array;
  /** Tick phase per singer index (samples): a singer's clock is the same in every topology. */
  phaseOf: Int32Array;
}

function singerEnd(s: Singer, lossPct: number | undefined): NetEnd {
  return homeEnd(s.pos, s.rawAccessMs, s.jitterMs, lossPct);
}

function singerSpec(s: Singer, parent: number, up: EmuNodeSpec["up"], v: VoiceAssignment): EmuNodeSpec {
  const voice = v.voiceOf[s.idx];
  return { id: s.id, parent, hasVoice: true, voice: voice >= 0 ? voice : null, listen: voice >= 0, phaseSamples: v.phaseOf[s.idx], up };
}

export function treePlan(tree: BuiltTree, singers: readonly Singer[], model: Topology, v: VoiceAssignment, lossPct?: number): TopologyPlan {
  const views = tree.snapshot.nodes.filter((x) => x.parent !== null || x.id === tree.snapshot.root);
  if (views.length !== singers.length) throw new Error(`tree holds ${views.length} of ${singers.length} singers`);
  // Parents before children, so each node's parent index is known when it is placed.
  const order = [...views].sort((a, b) => a.depth - b.depth);
  const index = new Map<string, number>();
  order.forEach((x, i) => index.set(x.id, i));
  const byId = new Map(singers.map((s) => [s.id, s]));
  const nodeOf = new Int32Array(singers.length);
  const nodes = order.map((x, i) => {
    const s = byId.get(x.id);
    if (!s) throw new Error(`tree node ${x.id} is not a singer`);
    nodeOf[s.idx] = i;
    const p = x.parent === null ? null : byId.get(x.parent)!;
    return singerSpec(s, p ? index.get(p.id)! : -1, p ? linkParams(singerEnd(s, lossPct), singerEnd(p, lossPct)) : null, v);
  });
  return { name: "tree", nodes, nodeOf, modelMs: (a, b) => model.pairDelayMs(a, b) };
}

export function starPlan(singers: readonly Singer[], server: CloudRegion, model: Topology, v: VoiceAssignment, hubPhase: number, lossPct?: number): TopologyPlan {
  const hub = dataCentreEnd(toUnitVec(server));
  const nodes: EmuNodeSpec[] = [{ id: `server-${server.id}`, parent: -1, hasVoice: false, voice: null, listen: false, phaseSamples: hubPhase, up: null }];
  const nodeOf = new Int32Array(singers.length);
  for (const s of singers) {
    nodeOf[s.idx] = nodes.length;
    nodes.push(singerSpec(s, 0, linkParams(singerEnd(s, lossPct), hub), v));
  }
  return { name: "star", nodes, nodeOf, modelMs: (a, b) => model.pairDelayMs(a, b) };
}

/** Hubs a stream passes between plan nodes a and b: every node on the path but the two ends. */
export function hubsBetween(plan: EmuPlan, a: number, b: number): number {
  const depth = (x: number) => {
    let d = 0;
    for (let p = plan.nodes[x].parent; p >= 0; p = plan.nodes[p].parent) d++;
    return d;
  };
  let x = a;
  let y = b;
  let dx = depth(x);
  let dy = depth(y);
  let nodesOnPath = 1;
  while (dx > dy) { x = plan.nodes[x].parent; dx--; nodesOnPath++; }
  while (dy > dx) { y = plan.nodes[y].parent; dy--; nodesOnPath++; }
  while (x !== y) { x = plan.nodes[x].parent; y = plan.nodes[y].parent; nodesOnPath += 2; }
  return nodesOnPath - 2;
}
