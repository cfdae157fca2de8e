/**
 * What the journal keeps of a request's session pickles. A pickle over the per-value bound is
 * not kept: the entry notes its size and SHA-256 instead (`JournalEntry.tooLarge`), and its
 * namespace is not restorable from that entry. A 20 MB session value would otherwise add 40 MB
 * (before and after) to the journal on every request that changes it.
 */
import { createHash } from 'node:crypto';
import type { JournalEntry, PickleDigest } from '../../common/types/journal.js';

/** The per-value bound: 1 MiB, or a 64th of `[Studio] JournalMaxBytes` when that is smaller. */
export function valueCap(maxBytes: number): number {
  const MIB = 1024 * 1024;
  return maxBytes > 0 ? Math.min(MIB, Math.max(4096, Math.floor(maxBytes / 64))) : MIB;
}

export type PickleMap = Map<string, { before?: Buffer | null; after?: Buffer | null }>;

/** One kept pickle, as the journal writes it. */
export interface KeptPickle {
  name: string;
  phase: 'before' | 'after';
  pickle: Buffer;
}

/**
 * Splits a request's pickles into those kept and digests of those too large to keep. A
 * namespace with any pickle too large is not restorable at all: restoring one phase of it
 * without the other would be taken for "the namespace did not exist".
 */
export function keepPickles(
  pickles: PickleMap | undefined,
  cap: number,
): {
  kept: KeptPickle[];
  restorable: JournalEntry['restorable'];
  tooLarge: PickleDigest[];
} {
  const kept: KeptPickle[] = [];
  const restorable: JournalEntry['restorable'] = [];
  const tooLarge: PickleDigest[] = [];
  for (const [name, p] of pickles ?? []) {
    const big = (['before', 'after'] as const).filter((phase) => (p[phase]?.length ?? 0) > cap);
    if (big.length > 0) {
      for (const phase of big) {
        const b = p[phase]!;
        tooLarge.push({
          name,
          phase,
          size: b.length,
          sha256: createHash('sha256').update(b).digest('hex'),
        });
      }
      continue;
    }
    if (p.before) kept.push({ name, phase: 'before', pickle: p.before });
    if (p.after) kept.push({ name, phase: 'after', pickle: p.after });
    restorable.push({ name, before: !!p.before, after: !!p.after });
  }
  return { kept, restorable, tooLarge };
}
