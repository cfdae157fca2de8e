import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

/** The 1, 5 and 15 minute load averages, printed beside figures taken on a shared machine. */
export function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

/** The whole machine's busy and total CPU time so far (clock ticks), from /proc/stat. */
function machineTicks(): { busy: number; total: number } | undefined {
  let line: string | undefined;
  try {
    line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  } catch {
    return undefined; // not Linux: nothing to wait on
  }
  // cpu user nice system idle iowait irq softirq steal …
  const t = line!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = t.reduce((a, b) => a + b, 0);
  return { busy: total - t[3]! - t[4]!, total };
}

/** How long one look at the machine lasts, and the busy share below which it counts as quiet. */
const SETTLE_SAMPLE_MS = 250;
export const QUIET_SHARE = 0.15;

/**
 * Before a measured window: what the windows before it left to write is written (`sync`), and
 * the machine is given up to `maxMs` to go quiet (under QUIET_SHARE of its CPU busy over
 * SETTLE_SAMPLE_MS). Without it a contender pays for the one before it: a development server's
 * journal and PostgreSQL's writes reach the disk seconds after their own window. Resolves with
 * the busy share last seen (above QUIET_SHARE: the machine did not go quiet in time).
 */
export async function settle(maxMs = 3000): Promise<number> {
  // a `sync` that hangs (a stuck mount) must not stop the run: the window then starts unsettled
  await promisify(execFile)('sync', [], { timeout: 10_000 }).catch(() => undefined);
  const deadline = performance.now() + maxMs;
  let share = 0;
  for (;;) {
    const a = machineTicks();
    await sleep(SETTLE_SAMPLE_MS);
    const b = machineTicks();
    if (!a || !b || b.total === a.total) return 0;
    share = (b.busy - a.busy) / (b.total - a.total);
    if (share < QUIET_SHARE || performance.now() >= deadline) return share;
  }
}
