/**
 * Arrival timing for the jitter buffer: how late each packet is compared with the earliest a
 * packet of its stream could have arrived, with the sender's clock tracked against ours.
 *
 * Each packet gives an offset o = arrival - mediaTime (receiver ms minus sender ms). Without jitter
 * and drift o is constant; jitter only ever adds to it (a packet cannot beat the fastest path), so
 * the lower envelope of o is the "ideal arrival" line and lateness = o - envelope. Drift tilts the
 * envelope: it is a line, not a constant. The envelope is found from per-block minima (robust
 * against any amount of upward jitter), and its slope by a least-squares fit through the minima of
 * the last few blocks. All state is preallocated: nothing here allocates after construction.
 */
export class ArrivalClock {
  private readonly blockT: Float64Array;
  private readonly blockO: Float64Array;
  private blocks = 0;
  private head = 0;
  private blockStart = Number.NaN;
  private curMin = Number.POSITIVE_INFINITY;
  private curMinT = 0;
  private anchorBase = Number.POSITIVE_INFINITY;
  private anchorT = 0;
  /** d(offset)/d(receiver time): negative when the sender's clock runs fast. */
  slope = 0;
  /** Whether a slope has been fitted yet (before that, a drifting sender biases lateness). */
  fitted = false;

  constructor(
    private readonly blockMs: number,
    private readonly fitBlocks: number,
    private readonly minBlocks: number,
    private readonly maxSlope: number,
  ) {
    this.blockT = new Float64Array(fitBlocks);
    this.blockO = new Float64Array(fitBlocks);
  }

  reset(): void {
    this.blocks = 0;
    this.head = 0;
    this.blockStart = Number.NaN;
    this.curMin = Number.POSITIVE_INFINITY;
    this.curMinT = 0;
    this.anchorBase = Number.POSITIVE_INFINITY;
    this.anchorT = 0;
    this.slope = 0;
    this.fitted = false;
  }

  /** Takes one packet's arrival (t, receiver ms) and offset; returns its lateness in ms (>= 0). */
  observe(t: number, offset: number): number {
    if (Number.isNaN(this.blockStart)) this.blockStart = t;
    else if (t - this.blockStart >= this.blockMs && this.curMin !== Number.POSITIVE_INFINITY) {
      this.closeBlock();
      this.blockStart = t;
    }
    if (offset < this.curMin) {
      this.curMin = offset;
      this.curMinT = t;
    }
    const late = offset - this.base(t);
    return late > 0 ? late : 0;
  }

  /**
   * The sender moved its send times by `ms` (its tick alignment said so in-band): the ideal
   * arrivals move with them, so the move is neither lateness nor drift.
   */
  shift(ms: number): void {
    this.anchorBase += ms;
    this.curMin += ms;
    for (let i = 0; i < this.blocks; i++) this.blockO[i] += ms;
  }

  /** The ideal-arrival offset at receiver time t (+Infinity before the first packet). */
  base(t: number): number {
    const a = this.anchorBase + this.slope * (t - this.anchorT);
    const c = this.curMin + this.slope * (t - this.curMinT);
    return a < c ? a : c;
  }

  private closeBlock(): void {
    this.blockT[this.head] = this.curMinT;
    this.blockO[this.head] = this.curMin;
    this.head = (this.head + 1) % this.fitBlocks;
    if (this.blocks < this.fitBlocks) this.blocks++;
    this.curMin = Number.POSITIVE_INFINITY;
    if (this.blocks >= 2) this.fitSlope();
    // The running minimum uses only the newest blocks: with a slightly wrong slope an old block's
    // line drifts away from the truth, and the newest blocks already hold plenty of samples.
    const n = this.blocks < this.minBlocks ? this.blocks : this.minBlocks;
    const last = (this.head - 1 + this.fitBlocks) % this.fitBlocks;
    const tA = this.blockT[last];
    let best = Number.POSITIVE_INFINITY;
    for (let k = 0; k < n; k++) {
      const i = (this.head - 1 - k + 2 * this.fitBlocks) % this.fitBlocks;
      const v = this.blockO[i] + this.slope * (tA - this.blockT[i]);
      if (v < best) best = v;
    }
    this.anchorT = tA;
    this.anchorBase = best;
  }

  private fitSlope(): void {
    const n = this.blocks;
    let mt = 0;
    let mo = 0;
    for (let i = 0; i < n; i++) {
      mt += this.blockT[i];
      mo += this.blockO[i];
    }
    mt /= n;
    mo /= n;
    let sto = 0;
    let stt = 0;
    for (let i = 0; i < n; i++) {
      const dt = this.blockT[i] - mt;
      sto += dt * (this.blockO[i] - mo);
      stt += dt * dt;
    }
    if (stt <= 0) return;
    const s = sto / stt;
    this.fitted = true;
    this.slope = s > this.maxSlope ? this.maxSlope : s < -this.maxSlope ? -this.maxSlope : s;
  }
}

/**
 * A decaying histogram of lateness: recent samples weigh more (exponential forgetting with a
 * half-life in samples). Instead of decaying every bin per sample, each new sample weighs more
 * than the last; the bins are rescaled only when the weight grows large.
 */
export class LatenessHistogram {
  private readonly bins: Float64Array;
  private weight = 1;
  private total = 0;
  private readonly growth: number;

  constructor(
    readonly binMs: number,
    nBins: number,
    halfLifeSamples: number,
  ) {
    this.bins = new Float64Array(nBins);
    this.growth = Math.pow(2, 1 / halfLifeSamples);
  }

  reset(): void {
    this.bins.fill(0);
    this.weight = 1;
    this.total = 0;
  }

  add(latenessMs: number): void {
    const last = this.bins.length - 1;
    let i = Math.floor(latenessMs / this.binMs);
    if (!(i >= 0)) i = 0;
    if (i > last) i = last;
    this.bins[i] += this.weight;
    this.total += this.weight;
    this.weight *= this.growth;
    if (this.weight > 1e100) {
      const w = this.weight;
      for (let k = 0; k <= last; k++) this.bins[k] /= w;
      this.total /= w;
      this.weight = 1;
    }
  }

  /** Decayed number of samples (what a plain count would be with the same forgetting). */
  get samples(): number {
    return this.total / this.weight;
  }

  /** Upper edge (ms) of the bin where the cumulative share first reaches q; the last bin counts as its upper edge. */
  quantile(q: number): number {
    const goal = q * this.total;
    let acc = 0;
    const last = this.bins.length - 1;
    for (let i = 0; i < last; i++) {
      acc += this.bins[i];
      if (acc >= goal) return (i + 1) * this.binMs;
    }
    return (last + 1) * this.binMs;
  }
}
