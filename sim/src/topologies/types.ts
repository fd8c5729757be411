/** What every topology gives the evaluator: pair delays and the cost it puts on people and servers. */
import type { ValueSummary } from "@choirmesh/common/quantiles";

export type TopologyName = "tree" | "treeDirect" | "hybrid" | "topMesh" | "topMeshDirect" | "star" | "starDirect" | "mesh" | "chain";
export const TOPOLOGY_NAMES: readonly TopologyName[] = ["tree", "treeDirect", "hybrid", "topMesh", "topMeshDirect", "star", "starDirect", "mesh", "chain"];

export interface ServerCost {
  /** Dedicated machines (hubs or central servers) the design needs. */
  count: number;
  /** Cores for mixing, from the engine's children per core. */
  cores: number;
  /** Their summed upload, Mbit/s. */
  uploadMbps: number;
  /** Most children (or clients) on one of them. */
  maxChildren: number;
  /** Where they stand (cloud-region cities). */
  where: string[];
}

export interface Topology {
  name: TopologyName;
  title: string;
  /** One-way mouth-to-ear delay from singer a to singer b (indices), ms; Infinity: never heard. */
  pairDelayMs(a: number, b: number): number;
  /** Per singer, what their home connection must carry, kbit/s. */
  uploadKbps: Float64Array;
  downloadKbps: Float64Array;
  /** Per singer, the cores their own machine spends mixing for others. */
  singerCores: Float64Array;
  servers: ServerCost;
  /** Depth of singers below the top (hops to the root), when the design has one. */
  depth?: ValueSummary & { maxLevel: number };
  notes: string[];
  extra?: Record<string, unknown>;
}

export function noServers(): ServerCost {
  return { count: 0, cores: 0, uploadMbps: 0, maxChildren: 0, where: [] };
}
