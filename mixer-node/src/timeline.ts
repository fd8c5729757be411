/**
 * A node's timeline of audio incidents: late ticks, concealment runs, jitter-buffer
 * adjustments and link changes, each with its time on the shared wall clock, so that a gap a
 * listener hears can be traced to the node and the moment it came from (the chaos bench does,
 * with CHAOS_DEBUG=1; hub operators read it from the node's stats).
 *
 * A fixed ring of numbers: add() neither allocates nor throws, so the per-frame path may call
 * it. The oldest entries are overwritten; `total` counts every entry ever added.
 */

export const INCIDENT = {
  /** A tick ran late: value = lateness ms. */
  tickLate: 1,
  /** A run of concealed (or silent after loss) frames on an input ended: value = frames. */
  conceal: 2,
  /** The jitter buffer dropped a frame to shorten its delay: value = delay ms after. */
  jbDrop: 3,
  /** The jitter buffer inserted a frame to lengthen its delay: value = delay ms after. */
  jbInsert: 4,
  /** The jitter buffer started over (new stream, outage, overflow): value = resets so far. */
  jbReset: 5,
  /** Missing frames passed over while the delay was high: value = frames. */
  jbSkip: 6,
  /** A link's state changed: value = LINK_STATE code. */
  link: 7,
  /**
   * The parent changed: value = 1 when a standby link was promoted, 0 for a new link; when a
   * made-before-broken move switches the media over, 2 (the new parent's media arrived) or 3 (the
   * old link ended or the wait timed out first).
   */
  parent: 8,
} as const;

export type IncidentKind = keyof typeof INCIDENT;

/** Link states as numbers for the timeline. */
export const LINK_STATE: Record<string, number> = { new: 0, connecting: 1, connected: 2, disconnected: 3, failed: 4, closed: 5 };

/** Target of an incident: a child slot (>= 0), the parent's stream, or the node itself. */
export const TARGET_PARENT = -1;
export const TARGET_NODE = -2;

export interface Incident {
  /** Wall-clock time, ms since the epoch (performance.timeOrigin + performance.now()). */
  atMs: number;
  kind: IncidentKind;
  /** "parent", "node", or the child slot. */
  target: "parent" | "node" | number;
  value: number;
  /** A peer id for link and parent incidents. */
  peer?: string;
}

const FIELDS = 4;
const KIND_NAMES: IncidentKind[] = [];
for (const [name, code] of Object.entries(INCIDENT)) KIND_NAMES[code] = name as IncidentKind;

export class Timeline {
  readonly capacity: number;
  private readonly data: Float64Array;
  /** Peer ids for link incidents, by ring position (rare events: a string per entry is fine). */
  private readonly peers: (string | undefined)[];
  private count = 0;

  constructor(capacity = 512) {
    this.capacity = Math.max(1, Math.floor(capacity));
    this.data = new Float64Array(this.capacity * FIELDS);
    this.peers = new Array<string | undefined>(this.capacity);
  }

  get total(): number {
    return this.count;
  }

  /** `nowMs` on the performance.now() clock. */
  add(kind: number, target: number, nowMs: number, value: number, peer?: string): void {
    const i = this.count % this.capacity;
    const o = i * FIELDS;
    this.data[o] = nowMs;
    this.data[o + 1] = kind;
    this.data[o + 2] = target;
    this.data[o + 3] = value;
    this.peers[i] = peer;
    this.count++;
  }

  /** Entries oldest first, optionally only those at or after `sinceMs` (wall clock). */
  entries(sinceMs = -Infinity): Incident[] {
    const n = Math.min(this.count, this.capacity);
    const out: Incident[] = [];
    const origin = performance.timeOrigin;
    for (let k = this.count - n; k < this.count; k++) {
      const i = k % this.capacity;
      const o = i * FIELDS;
      const atMs = origin + this.data[o];
      if (atMs < sinceMs) continue;
      const t = this.data[o + 2];
      const e: Incident = {
        atMs: Math.round(atMs * 10) / 10,
        kind: KIND_NAMES[this.data[o + 1]] ?? "tickLate",
        target: t === TARGET_PARENT ? "parent" : t === TARGET_NODE ? "node" : t,
        value: Math.round(this.data[o + 3] * 10) / 10,
      };
      const peer = this.peers[i];
      if (peer !== undefined) e.peer = peer;
      out.push(e);
    }
    return out;
  }

  toJSON(): { total: number; entries: Incident[] } {
    return { total: this.count, entries: this.entries() };
  }
}
