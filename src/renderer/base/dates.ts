/**
 * Dates as people read them: "tomorrow 13:40 (in 23 h)", "today 09:12 (5 min ago)",
 * "3 Dec 18:02 (2 d ago)". A bare time is ambiguous once a value can lie days away.
 */
const DAY = 86_400_000;

function dayNumber(d: Date): number {
  return Math.floor(new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime() / DAY);
}

function clock(d: Date): string {
  return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hour12: false });
}

export function formatDay(ms: number, now = Date.now()): string {
  const d = new Date(ms);
  const n = new Date(now);
  const days = dayNumber(d) - dayNumber(n);
  if (days === 0) return 'today';
  if (days === 1) return 'tomorrow';
  if (days === -1) return 'yesterday';
  return d.toLocaleDateString(undefined, {
    day: 'numeric',
    month: 'short',
    ...(d.getFullYear() !== n.getFullYear() ? { year: 'numeric' } : {}),
  });
}

export function formatSpan(ms: number): string {
  const s = Math.abs(ms) / 1000;
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86_400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

/** "tomorrow 13:40 (in 23 h)" / "today 09:12 (5 min ago)" */
export function formatWhen(ms: number, now = Date.now()): string {
  const rel = ms >= now ? `in ${formatSpan(ms - now)}` : `${formatSpan(now - ms)} ago`;
  return `${formatDay(ms, now)} ${clock(new Date(ms))} (${rel})`;
}
