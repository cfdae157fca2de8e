import os from 'node:os';

/** The 1, 5 and 15 minute load averages, printed beside figures taken on a shared machine. */
export function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}
