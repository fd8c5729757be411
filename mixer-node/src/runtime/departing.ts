/**
 * Children the server moved away from a hub, kept (their slot, link and media) until they switch
 * to their new parent and close the link here, or until `holdMs` passes: a planned move then
 * costs them no audio. Oldest first.
 */
export class Departing<T> {
  private readonly byPeer = new Map<string, { entry: T; timer: NodeJS.Timeout }>();

  constructor(
    private readonly holdMs: number,
    /** The hold of `peer` ran out. */
    private readonly expired: (peer: string) => void,
  ) {}

  get size(): number {
    return this.byPeer.size;
  }

  hold(peer: string, entry: T): void {
    const timer = setTimeout(() => this.expired(peer), this.holdMs);
    timer.unref();
    this.byPeer.set(peer, { entry, timer });
  }

  get(peer: string): T | undefined {
    return this.byPeer.get(peer)?.entry;
  }

  /** Ends the hold of `peer` (its timer too) and returns its entry. */
  release(peer: string): T | undefined {
    const d = this.byPeer.get(peer);
    if (!d) return undefined;
    clearTimeout(d.timer);
    this.byPeer.delete(peer);
    return d.entry;
  }

  /** The peer held longest. */
  oldest(): string | undefined {
    return this.byPeer.keys().next().value;
  }

  peers(): string[] {
    return [...this.byPeer.keys()];
  }

  entries(): IterableIterator<T> {
    return [...this.byPeer.values()].map((d) => d.entry).values();
  }

  /** Ends every hold; returns the entries. */
  clear(): T[] {
    const out = [...this.byPeer.values()].map((d) => {
      clearTimeout(d.timer);
      return d.entry;
    });
    this.byPeer.clear();
    return out;
  }
}
