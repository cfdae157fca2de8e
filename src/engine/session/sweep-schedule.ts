/** Expired sessions are swept off the request path, at random, never by two sweeps at once. */
export class SweepSchedule {
  private sweeping = false;

  constructor(
    private readonly sweep: () => Promise<number>,
    private readonly random: () => number,
  ) {}

  /** Chance in 1000 per request; the sweep itself runs after the current I/O turn. */
  maybe(collectionProbability: number): void {
    if (this.sweeping || this.random() * 1000 >= collectionProbability) return;
    this.sweeping = true;
    setImmediate(() => {
      this.sweep()
        .catch((err: unknown) => {
          console.error(
            `pse: session sweep failed: ${err instanceof Error ? err.message : String(err)}`,
          );
        })
        .finally(() => {
          this.sweeping = false;
        });
    });
  }
}
