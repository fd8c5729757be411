/**
 * Which child is mixed on which engine slot. A slot is taken when a child's link is added and
 * given back when it is released; a freed slot is the next one handed out, so slots do not follow
 * the order children came in. Anything that names a slot's peer (stats, metrics, logs) asks here.
 * Pure.
 */
export class ChildSlots<T extends { peer: string }> {
  /** Entry per slot (undefined: free); the per-packet path indexes it directly. */
  readonly bySlot: (T | undefined)[] = [];
  private readonly free: number[] = [];

  constructor(readonly capacity: number) {
    for (let s = capacity - 1; s >= 0; s--) this.free.push(s);
  }

  get freeCount(): number {
    return this.free.length;
  }

  /** Takes a free slot (the one freed last), or undefined when all are in use; `assign` fills it. */
  reserve(): number | undefined {
    return this.free.pop();
  }

  assign(slot: number, entry: T): void {
    this.bySlot[slot] = entry;
  }

  release(slot: number): void {
    if (this.free.includes(slot)) return;
    this.bySlot[slot] = undefined;
    this.free.push(slot);
  }

  peerAt(slot: number): string | null {
    return this.bySlot[slot]?.peer ?? null;
  }
}
