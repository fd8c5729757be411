/**
 * Geography on loopback: the one-way delay and jitter of the path to each peer, as a harness that
 * places a choir's nodes on a map sets them (bench's `compare`: the simulator's population model
 * and its delay model's one-way figures). Each is applied to the packets this node receives on its
 * links from that peer, through the transport's impairment layer (impairment.ts), to links open
 * now and to links made later; the peer does the same the other way. On the receiving side, a
 * link read on the node's tick takes its delayed packets when it reads its socket, stamped with
 * their arrival on the emulated path (ImpairedPath.setManual): the delay costs no wake-ups. A choir on one machine then
 * behaves like one spread over a region: RTT probes, the planner's estimates, jitter buffers and
 * tick phases all see the distances.
 */
import type { PeerLink } from "../transport/peer-link.js";

export interface PathDelay {
  /** Fixed one-way delay, ms. */
  delayMs: number;
  /** Extra delay drawn uniformly from [0, jitterMs) per packet (never reordering), ms. */
  jitterMs: number;
}

/** Above this a figure is a mistake, not a place on Earth (the longest routes are ~250 ms one way). */
export const PATH_DELAY_MAX_MS = 1000;

/** Checks a table of path delays by peer; throws a RangeError naming the first bad entry. */
export function checkPathDelays(entries: unknown): Record<string, PathDelay> {
  if (typeof entries !== "object" || entries === null || Array.isArray(entries)) throw new RangeError("path delays must be an object of peer -> { delayMs, jitterMs }");
  const out: Record<string, PathDelay> = {};
  for (const [peer, v] of Object.entries(entries as Record<string, unknown>)) {
    const d = v as Partial<PathDelay> | null;
    const ok = (x: unknown) => typeof x === "number" && Number.isFinite(x) && x >= 0 && x <= PATH_DELAY_MAX_MS;
    if (peer.length === 0 || peer.length > 256 || d === null || typeof d !== "object" || !ok(d.delayMs) || !ok(d.jitterMs)) {
      throw new RangeError(`bad path delay for ${JSON.stringify(peer.slice(0, 64))}: delayMs and jitterMs must be numbers in [0, ${PATH_DELAY_MAX_MS}]`);
    }
    out[peer] = { delayMs: d.delayMs!, jitterMs: d.jitterMs! };
  }
  return out;
}

/** A small stable seed per peer, so that runs repeat their jitter. */
function seedOf(peer: string): number {
  let h = 2166136261;
  for (let i = 0; i < peer.length; i++) h = Math.imul(h ^ peer.charCodeAt(i), 16777619);
  return (h >>> 0) || 1;
}

export class PathDelays {
  private readonly table = new Map<string, PathDelay>();
  /** Open links and their peers (a link leaves when it closes). */
  private readonly links = new Map<PeerLink, string>();

  /** Adds or replaces entries (checked: checkPathDelays) and applies them to the open links at once. */
  set(entries: Record<string, PathDelay>): void {
    const checked = checkPathDelays(entries);
    for (const [peer, d] of Object.entries(checked)) this.table.set(peer, d);
    for (const [link, peer] of this.links) if (peer in checked) this.apply(link, peer);
  }

  /** A new link to `peer`: it gets the peer's path now and whenever the table changes. */
  attach(peer: string, link: PeerLink): void {
    this.links.set(link, peer);
    link.on("state", (s) => {
      if (s === "closed") this.links.delete(link);
    });
    this.apply(link, peer);
  }

  get(peer: string): PathDelay | null {
    return this.table.get(peer) ?? null;
  }

  get size(): number {
    return this.table.size;
  }

  private apply(link: PeerLink, peer: string): void {
    const d = this.table.get(peer);
    if (d) link.impair({ receive: { delayMs: d.delayMs, jitterMs: d.jitterMs, reorder: false, seed: seedOf(peer) } });
  }
}
