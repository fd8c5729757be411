/**
 * Vivaldi network coordinates (Dabek et al., SIGCOMM 2004): 2-D Euclidean plane plus a
 * height that models each node's access link, with the adaptive timestep. Coordinates are
 * in ms of round-trip time. Pure and deterministic: the only randomness (a direction for two
 * coincident nodes) comes from a seeded generator.
 */

export interface VivaldiOptions {
  /** Error smoothing constant c_e. */
  ce: number;
  /** Timestep constant c_c. */
  cc: number;
  /** Samples a node needs before its coordinate is trusted over the geographic estimate. */
  minSamples: number;
  /** Relative error above which a coordinate is not trusted. */
  maxError: number;
  /** RTTs outside (0, maxRttMs] are garbage and ignored. */
  maxRttMs: number;
  /** Heights never fall below this (ms); a zero height would stop the height from learning. */
  minHeightMs: number;
  seed: number;
}

export const DEFAULT_VIVALDI_OPTIONS: VivaldiOptions = {
  ce: 0.25,
  cc: 0.25,
  minSamples: 5,
  maxError: 0.6,
  maxRttMs: 5000,
  minHeightMs: 0.05,
  seed: 0x5eed,
};

export interface VivaldiCoord {
  x: number;
  y: number;
  h: number;
  /** Relative error estimate, 1 at start. */
  err: number;
  samples: number;
  /** Cached trustedCoord(), refreshed on every update. */
  trusted: boolean;
}

export class VivaldiSpace {
  private readonly coords = new Map<string, VivaldiCoord>();
  private readonly opts: VivaldiOptions;
  private rngState: number;
  private accepted = 0;
  private rejected = 0;

  constructor(opts: Partial<VivaldiOptions> = {}) {
    this.opts = { ...DEFAULT_VIVALDI_OPTIONS, ...opts };
    this.rngState = this.opts.seed >>> 0 || 1;
  }

  add(id: string): void {
    if (!this.coords.has(id)) this.coords.set(id, { x: 0, y: 0, h: this.opts.minHeightMs, err: 1, samples: 0, trusted: false });
  }

  delete(id: string): void {
    this.coords.delete(id);
  }

  get(id: string): Readonly<VivaldiCoord> | undefined {
    return this.coords.get(id);
  }

  /** Whether a node's coordinate has enough samples and a low enough error to be used. */
  trusted(id: string): boolean {
    const c = this.coords.get(id);
    return c !== undefined && this.trustedCoord(c);
  }

  trustedCoord(c: VivaldiCoord): boolean {
    return c.samples >= this.opts.minSamples && c.err <= this.opts.maxError;
  }

  /** The live coordinate object of a node (updated in place by observe), for hot loops. */
  coordOf(id: string): VivaldiCoord | undefined {
    return this.coords.get(id);
  }

  /** Predicted round-trip time in ms (NaN when a node is unknown). */
  predictRttMs(a: string, b: string): number {
    const ca = this.coords.get(a);
    const cb = this.coords.get(b);
    if (!ca || !cb) return NaN;
    return Math.hypot(ca.x - cb.x, ca.y - cb.y) + ca.h + cb.h;
  }

  /**
   * One measured RTT between two known nodes. Both ends move (the measurement is symmetric),
   * each against the other's position before this sample. Returns false for garbage.
   */
  observe(a: string, b: string, rttMs: number): boolean {
    const ca = this.coords.get(a);
    const cb = this.coords.get(b);
    if (!ca || !cb || a === b || !Number.isFinite(rttMs) || rttMs <= 0 || rttMs > this.opts.maxRttMs) {
      this.rejected++;
      return false;
    }
    const snapA = { ...ca };
    const snapB = { ...cb };
    this.update(ca, snapB, rttMs);
    this.update(cb, snapA, rttMs);
    ca.trusted = this.trustedCoord(ca);
    cb.trusted = this.trustedCoord(cb);
    this.accepted++;
    return true;
  }

  private update(me: VivaldiCoord, other: VivaldiCoord, rtt: number): void {
    const { ce, cc, minHeightMs } = this.opts;
    const dx = me.x - other.x;
    const dy = me.y - other.y;
    const planar = Math.hypot(dx, dy);
    const dist = planar + me.h + other.h;
    const w = me.err / (me.err + other.err);
    const relErr = Math.abs(dist - rtt) / rtt;
    me.err = Math.min(1.5, Math.max(0.01, relErr * ce * w + me.err * (1 - ce * w)));
    const force = cc * w * (rtt - dist);
    // Direction of [xy_me - xy_other, h_me + h_other] under the height-vector norm
    // (|xy| + h). Coincident nodes get a random planar direction so that they can separate.
    let ux: number;
    let uy: number;
    if (planar < 1e-9) {
      const angle = this.random() * 2 * Math.PI;
      ux = Math.cos(angle);
      uy = Math.sin(angle);
    } else {
      ux = dx / dist;
      uy = dy / dist;
    }
    me.x += force * ux;
    me.y += force * uy;
    me.h = Math.max(minHeightMs, me.h + (force * (me.h + other.h)) / dist);
    me.samples++;
  }

  private random(): number {
    // xorshift32: enough for a direction.
    let s = this.rngState;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    this.rngState = s >>> 0;
    return this.rngState / 4294967296;
  }

  get size(): number {
    return this.coords.size;
  }

  toJSON(): { nodes: number; trusted: number; accepted: number; rejected: number } {
    let trusted = 0;
    for (const id of this.coords.keys()) if (this.trusted(id)) trusted++;
    return { nodes: this.coords.size, trusted, accepted: this.accepted, rejected: this.rejected };
  }
}
