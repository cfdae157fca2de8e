/** A read writes its session's expiry only now and then, yet keeps it `Timeout` past every use. */

/**
 * A read that changes nothing writes the sliding expiry only when this share of `Timeout` (at
 * most TOUCH_MAX_MS) has passed since the session's recorded access, and every expiry written
 * carries that much on top of `Timeout`: a session used at any moment is then kept at least
 * `Timeout` after that use (and at most that slack longer), whatever `Timeout` is.
 */
const TOUCH_SHARE = 0.1;
const TOUCH_MAX_MS = 60_000;

/** How long after its recorded access a read leaves a session's expiry as it is. */
export function touchEveryMs(timeoutMinutes: number): number {
  return Math.min(TOUCH_MAX_MS, timeoutMinutes * 60_000 * TOUCH_SHARE);
}

/** Expiry for a session accessed at `now`: `Timeout` plus the touch slack (see touchEveryMs). */
export function expiresAt(now: number, timeoutMinutes: number): number {
  return now + timeoutMinutes * 60_000 + touchEveryMs(timeoutMinutes);
}
