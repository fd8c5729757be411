/**
 * A small typed emitter whose emit never throws: a listener that throws is
 * caught and handed to `onListenerError`, so that application code cannot
 * break werift's packet path or a link's state machine.
 */

export type EventMap = { [event: string]: unknown[] };
export type Listener<A extends unknown[]> = (...args: A) => void;

export class SafeEmitter<E extends EventMap> {
  // Arrays are replaced (not mutated) on subscribe/unsubscribe, so an emit in
  // progress iterates a stable snapshot without copying per emit.
  private readonly listeners: { [K in keyof E]?: Listener<E[K]>[] } = {};

  /** Subscribes; returns the matching unsubscribe function. */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    const current = this.listeners[event];
    this.listeners[event] = current ? [...current, listener] : [listener];
    return () => this.off(event, listener);
  }

  once<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    const off = this.on(event, ((...args: E[K]) => {
      off();
      listener(...args);
    }) as Listener<E[K]>);
    return off;
  }

  off<K extends keyof E>(event: K, listener: Listener<E[K]>): void {
    const current = this.listeners[event];
    if (!current) return;
    const i = current.indexOf(listener);
    if (i < 0) return;
    const next = current.slice();
    next.splice(i, 1);
    this.listeners[event] = next.length > 0 ? next : undefined;
  }

  listenerCount<K extends keyof E>(event: K): number {
    return this.listeners[event]?.length ?? 0;
  }

  removeAllListeners(): void {
    for (const key of Object.keys(this.listeners)) delete this.listeners[key as keyof E];
  }

  /** Emits to every listener; exceptions go to `onListenerError`, never to the caller. */
  protected safeEmit<K extends keyof E>(event: K, ...args: E[K]): void {
    const list = this.listeners[event];
    if (!list) return;
    for (let i = 0; i < list.length; i++) {
      try {
        list[i](...args);
      } catch (err) {
        this.onListenerError(event, err);
      }
    }
  }

  /** The snapshot of listeners, for fixed-arity hot paths that avoid rest-argument arrays. */
  protected listenersOf<K extends keyof E>(event: K): readonly Listener<E[K]>[] | undefined {
    return this.listeners[event];
  }

  /** Called when a listener throws. Must not throw itself. */
  protected onListenerError(_event: keyof E, _err: unknown): void {}
}
