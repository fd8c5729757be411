/**
 * The discrete-event core of an emulated run: events ordered by virtual time, ties by the order
 * they were scheduled, so a run is exact and repeatable. No timers: time advances only from one
 * event to the next.
 */

export interface SimEvent {
  /** Virtual time (ms). */
  t: number;
  /** Scheduling order, the tie-break. */
  order: number;
}

export class EventQueue<E extends SimEvent> {
  private readonly heap: E[] = [];
  private scheduled = 0;
  /** Virtual time of the event last taken. */
  now = 0;

  get size(): number {
    return this.heap.length;
  }

  get total(): number {
    return this.scheduled;
  }

  /** Schedules `e` (its `order` is assigned here). An event in the past is a bug. */
  push(e: E): void {
    if (e.t < this.now) throw new RangeError(`event at ${e.t} ms before now (${this.now} ms)`);
    e.order = this.scheduled++;
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  /** Takes the earliest event, or null when none is left. */
  pop(): E | null {
    const h = this.heap;
    if (h.length === 0) return null;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    this.now = top.t;
    return top;
  }

  peekTime(): number {
    return this.heap.length ? this.heap[0].t : Infinity;
  }
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.t < b.t || (a.t === b.t && a.order < b.order);
}
