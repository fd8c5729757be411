/**
 * Signals from a peer that came before this node had a link to it (its offer overtook the
 * tree-update that introduces it, or candidates overtook the answer): kept briefly, a bounded
 * number per peer, and handed to the link once it exists. Pure; time comes in as arguments.
 */
export class EarlySignals {
  private readonly byPeer = new Map<string, { at: number; data: Record<string, unknown> }[]>();

  constructor(
    /** A signal older than this is dropped, ms. */
    private readonly keepMs: number,
    /** At most this many per peer. */
    private readonly max: number,
  ) {}

  /** Keeps a signal; false when the peer already has `max` waiting (the signal is dropped). */
  keep(peer: string, data: Record<string, unknown>, nowMs: number): boolean {
    const list = this.byPeer.get(peer) ?? [];
    while (list.length > 0 && nowMs - list[0].at > this.keepMs) list.shift();
    if (list.length >= this.max) return false;
    list.push({ at: nowMs, data });
    this.byPeer.set(peer, list);
    return true;
  }

  /** The peer's signals that are still fresh, oldest first; forgets them all. */
  take(peer: string, nowMs: number): Record<string, unknown>[] {
    const list = this.byPeer.get(peer);
    if (!list) return [];
    this.byPeer.delete(peer);
    return list.filter((p) => nowMs - p.at <= this.keepMs).map((p) => p.data);
  }
}
