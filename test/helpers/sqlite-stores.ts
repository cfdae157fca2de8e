/** Session store files for the tests of one file: each test's stores closed after it, the folder removed after all. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach } from 'vitest';
import type { PreviewValue } from '../../src/common/types/session.js';
import type { SessionCommit, SessionStore } from '../../src/engine/session/store.js';

/** A fixed start of time (epoch ms) and an hour, for commits and expiries. */
export const T0 = 1_700_000_000_000;
export const HOUR = 3_600_000;

export function storeFolder(prefix: string): {
  dir: string;
  /** a new file name in the folder */
  file(): string;
  /** closes `store` after the current test */
  keep<S extends SessionStore>(store: S): S;
} {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const open: SessionStore[] = [];
  let n = 0;
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    file: () => path.join(dir, `s${n++}.sqlite`),
    keep: (store) => {
      open.push(store);
      return store;
    },
  };
}

/** A commit that creates session `id` at T0 for an hour, writing `ns` (name → pickle text and preview). */
export function createCommit(
  id: string,
  ns: Record<string, { pickle: string; preview: PreviewValue }>,
  extra: Partial<SessionCommit> = {},
): SessionCommit {
  return {
    id,
    now: T0,
    expires: T0 + HOUR,
    create: true,
    upsert: new Map(
      Object.entries(ns).map(([name, v]) => [
        name,
        { pickle: Buffer.from(v.pickle), preview: v.preview },
      ]),
    ),
    delete: [],
    ...extra,
  };
}
