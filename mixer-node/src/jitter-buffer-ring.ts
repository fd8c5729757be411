/**
 * The jitter buffer's slots: a ring preallocated at construction and indexed by the extended
 * sequence number (ext % capacity). Each slot holds the number it was last used for, whether
 * its packet is present or was consumed (played, or dropped), and the payload by reference.
 * Nothing here allocates.
 */
const EMPTY = 0;
const PRESENT = 1;
const CONSUMED = 2;

export class SlotRing {
  private readonly ext: Float64Array;
  private readonly state: Uint8Array;
  private readonly payload: (Uint8Array | null)[];

  constructor(readonly capacity: number) {
    this.ext = new Float64Array(capacity).fill(-1);
    this.state = new Uint8Array(capacity);
    this.payload = new Array<Uint8Array | null>(capacity).fill(null);
  }

  /** Stores `payload` as packet `ext` (present). */
  put(ext: number, payload: Uint8Array): void {
    const slot = ext % this.capacity;
    this.ext[slot] = ext;
    this.state[slot] = PRESENT;
    this.payload[slot] = payload;
  }

  /** Packet `ext` is here and not yet consumed. */
  present(ext: number): boolean {
    const slot = ext % this.capacity;
    return this.ext[slot] === ext && this.state[slot] === PRESENT;
  }

  /** Packet `ext` was here (present or consumed): a second copy is a duplicate. */
  seen(ext: number): boolean {
    const slot = ext % this.capacity;
    return this.ext[slot] === ext && this.state[slot] !== EMPTY;
  }

  /** Packet `ext` was here and has been consumed. */
  consumed(ext: number): boolean {
    const slot = ext % this.capacity;
    return this.ext[slot] === ext && this.state[slot] === CONSUMED;
  }

  /** The payload of packet `ext` (present), without consuming it. */
  peek(ext: number): Uint8Array | null {
    return this.payload[ext % this.capacity];
  }

  /** Consumes packet `ext` and returns its payload; the ring no longer keeps it alive. */
  take(ext: number): Uint8Array | null {
    const slot = ext % this.capacity;
    const p = this.payload[slot];
    this.state[slot] = CONSUMED;
    this.payload[slot] = null;
    return p;
  }

  /** Empties every slot; returns how many packets were present (dropped unplayed). */
  clear(): number {
    let dropped = 0;
    for (let i = 0; i < this.capacity; i++) {
      if (this.state[i] === PRESENT) dropped++;
      this.state[i] = EMPTY;
      this.ext[i] = -1;
      this.payload[i] = null;
    }
    return dropped;
  }
}
