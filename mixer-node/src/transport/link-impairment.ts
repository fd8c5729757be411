/**
 * A link's impairment in both directions (impairment.ts: delay, jitter, loss, cuts), set and
 * changed at run time by tests, benchmarks and the chaos harness. Each direction is an
 * ImpairedPath or null (no impairment: packets go straight through).
 */
import type { LinkImpairment } from "./defaults.js";
import { ImpairedPath, ImpairmentCore, realClock } from "./impairment.js";

/** An outgoing packet held by the send direction's impairment. */
export interface HeldOut {
  seq: number;
  timestamp: number;
  marker: boolean;
  payload: Buffer;
}

/** An incoming packet held by the receive direction's impairment. */
export interface HeldIn {
  seq: number;
  timestamp: number;
  payload: Uint8Array;
}

export class LinkImpairments<Out, In> {
  send: ImpairedPath<Out> | null = null;
  receive: ImpairedPath<In> | null = null;

  constructor(
    private readonly releaseOut: (p: Out) => void,
    private readonly releaseIn: (p: In, releasedAtMs: number) => void,
  ) {}

  /**
   * Sets impairment for either direction. A given direction's settings are merged into its
   * current ones (PRNG state and stats kept); `null` removes all impairment.
   */
  set(spec: LinkImpairment | null): void {
    if (spec === null) return this.close();
    if (spec.send) {
      if (this.send) this.send.core.configure(spec.send);
      else this.send = new ImpairedPath(new ImpairmentCore(spec.send), this.releaseOut);
    }
    if (spec.receive) {
      if (this.receive) this.receive.core.configure(spec.receive);
      else this.receive = new ImpairedPath(new ImpairmentCore(spec.receive), this.releaseIn);
    }
  }

  /** Cuts the media both ways (or one way) for `durationMs`, or until restore(). */
  cut(durationMs: number, direction: "both" | "send" | "receive"): void {
    const now = realClock.now();
    if (direction !== "receive") {
      this.set({ send: {} });
      this.send!.core.cut(now, now + durationMs);
    }
    if (direction !== "send") {
      this.set({ receive: {} });
      this.receive!.core.cut(now, now + durationMs);
    }
  }

  /** Ends every cut now. */
  restore(): void {
    const now = realClock.now();
    this.send?.core.restore(now);
    this.receive?.core.restore(now);
  }

  toJSON(now: number) {
    return { send: this.send ? this.send.core.toJSON(now) : null, receive: this.receive ? this.receive.core.toJSON(now) : null };
  }

  close(): void {
    this.send?.close();
    this.receive?.close();
    this.send = null;
    this.receive = null;
  }
}
