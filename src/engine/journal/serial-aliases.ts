/**
 * The serials entries were finally written under, by the serial their request started with:
 * a writer that ran out of reserved serials hands out provisional ones and renumbers at write,
 * and readers still ask by the first. The newest are kept, up to a cap.
 */
export const MAX_ALIASES = 10_000;

export class SerialAliases {
  private readonly map = new Map<number, number>();

  /** Notes renumbered serials ([from, to]); the oldest go once over the cap. */
  add(pairs: Iterable<readonly [number, number]>): void {
    for (const [from, to] of pairs) this.map.set(from, to);
    for (const k of this.map.keys()) {
      if (this.map.size <= MAX_ALIASES) break;
      this.map.delete(k);
    }
  }

  /** The serial an entry was written under (itself when it was never renumbered). */
  resolve(serial: number): number {
    return this.map.get(serial) ?? serial;
  }
}
