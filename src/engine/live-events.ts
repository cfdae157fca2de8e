/**
 * Typed events for live views (Studio). Listeners run synchronously and must not throw into the
 * request path: a throwing listener is reported on stderr and otherwise ignored.
 */
type Listener<T> = (event: T) => void;

export class LiveEvents<M extends object> {
  private readonly listeners = new Map<keyof M, Set<Listener<never>>>();

  /** Subscribes; returns the function that unsubscribes. */
  on<K extends keyof M>(name: K, listener: Listener<M[K]>): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  emit<K extends keyof M>(name: K, event: M[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const l of set as Set<Listener<M[K]>>) {
      try {
        l(event);
      } catch (err) {
        console.error(
          `pse: a ${String(name)} listener failed: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
  }

  has(name: keyof M): boolean {
    return (this.listeners.get(name)?.size ?? 0) > 0;
  }
}
