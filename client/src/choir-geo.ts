/**
 * A live choir on loopback placed on a map (geography on loopback): each node gets a place and a
 * home connection (access delay, jitter), and every link between two nodes is delayed by the
 * delay model's one-way figure for their places (signaling/latency: great circle x 2.1 at
 * 200 km/ms, plus both ends' access delay) and jittered by both ends' jitter. Each node applies it
 * to what it sends (runtime/path-delays.ts), so RTT probes, the planner, the jitter buffers and
 * the tick phases see a choir spread over a region. The places come from the caller (bench's
 * `compare` draws them with the simulator's population model).
 */
import { greatCircleKm, kmToOneWayMs, type LatLon } from "@choirmesh/signaling/latency";
import type { PathDelay } from "@choirmesh/mixer-node/runtime/path-delays";
import type { RemoteNode } from "./remote-node.js";

export interface GeoPlace extends LatLon {
  /** One-way access delay of the node's own connection, ms (a data centre's ~0). */
  accessMs: number;
  /** The connection's jitter, ms: a link's packets get up to both ends' jitter added. */
  jitterMs: number;
  /** Where it is, for people (a city). */
  label?: string;
}

export interface GeoSinger {
  place: GeoPlace;
  section: string;
  uploadKbps: number;
}

export interface ChoirGeo {
  /** One per singer, in the run's order. */
  singers: GeoSinger[];
  /**
   * Dedicated hubs in data centres: in star mode the first is the central server; in hybrid mode
   * (and topMesh) all of them, the top of the tree.
   */
  hubs: { name: string; place: GeoPlace }[];
}

/** The one-way path between two places: the delay model's link figure and both ends' jitter. */
export function pathBetween(a: GeoPlace, b: GeoPlace): PathDelay {
  return { delayMs: kmToOneWayMs(greatCircleKm(a, b)) + a.accessMs + b.accessMs, jitterMs: a.jitterMs + b.jitterMs };
}

/** What a packet on that path takes on average: the fixed delay and half the jitter (uniform). */
export function meanPathMs(a: GeoPlace, b: GeoPlace): number {
  const p = pathBetween(a, b);
  return p.delayMs + p.jitterMs / 2;
}

/**
 * Tells nodes the paths to each other as they join: before a node starts, it learns its paths to
 * every node already in (so its first links have them); once it has an id, every node already in
 * learns its path to it (a link it answers in the meantime gets it then).
 */
export class GeoPaths {
  private readonly joined: { node: RemoteNode; place: GeoPlace }[] = [];

  /** Before `node` starts. */
  async before(node: RemoteNode, place: GeoPlace): Promise<void> {
    const table: Record<string, PathDelay> = {};
    for (const j of this.joined) table[j.node.id!] = pathBetween(place, j.place);
    await node.setPaths(table);
  }

  /** After `node` started (it has its id). */
  async after(node: RemoteNode, place: GeoPlace): Promise<void> {
    const id = node.id!;
    await Promise.all(this.joined.map((j) => j.node.setPaths({ [id]: pathBetween(j.place, place) })));
    this.joined.push({ node, place });
  }
}
