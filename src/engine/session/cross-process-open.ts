/** The local and the cross-process lock are held and let go as one: a failure leaves neither. */
import type { LockedSession, SessionLockProvider } from './cross-process-lock.js';
import type { Release } from './locks.js';

/** This process's lock of `id` (`local`, held), then the other processes' for `timeoutMs`. */
export async function withCrossProcessLock(
  provider: SessionLockProvider,
  id: string,
  local: Release,
  timeoutMs: number,
): Promise<Release> {
  let shared: Release;
  try {
    shared = await provider.acquire(id, timeoutMs);
  } catch (err) {
    local();
    throw err;
  }
  return () => {
    shared();
    local();
  };
}

/** withCrossProcessLock and the load in one exchange with the store (its lock provider reads). */
export async function withCrossProcessLoad(
  provider: SessionLockProvider,
  id: string,
  local: Release,
  timeoutMs: number,
  now: () => number,
): Promise<LockedSession> {
  let locked: LockedSession;
  try {
    locked = await provider.acquireAndLoad!(id, timeoutMs, now);
  } catch (err) {
    local();
    throw err;
  }
  const shared = locked.release;
  return {
    loaded: locked.loaded,
    release: () => {
      shared();
      local();
    },
  };
}
