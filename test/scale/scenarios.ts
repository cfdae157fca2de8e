/**
 * Load scenarios shared by the multi-process tests (instances of one `pse serve`, several
 * `pse serve` behind nginx): whatever spreads the requests, no session update may be lost.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { client, sessionCookie } from './processes.js';

/** The pid that served a reply (the pages print "VALUE PID"). */
export function servedBy(body: string): number {
  return Number(body.trim().split(/\s+/)[1]);
}

/**
 * `requests` concurrent read-modify-write requests on one session, over `sockets` keep-alive
 * connections: the counter ends at exactly `requests`. Returns the pids that served them.
 */
export async function oneHotSession(
  url: string,
  requests: number,
  sockets = 60,
): Promise<Set<number>> {
  const c = client(sockets);
  try {
    const first = await c.request(`${url}/count`);
    expect(first.status).toBe(200);
    const cookie = sessionCookie(first.setCookie);
    const replies = await Promise.all(
      Array.from({ length: requests - 1 }, () => c.request(`${url}/count`, { cookie })),
    );
    const bad = replies.filter((r) => r.status !== 200);
    expect(bad.map((r) => `${r.status} ${r.body.slice(0, 200)}`)).toEqual([]);
    const counts = replies.map((r) => Number(r.body.trim().split(/\s+/)[0])).sort((a, b) => a - b);
    // Each request saw the one before it: the counts are 2…requests, each once.
    expect(counts).toEqual(Array.from({ length: requests - 1 }, (_, i) => i + 2));
    return new Set([first, ...replies].map((r) => servedBy(r.body)));
  } finally {
    c.close();
  }
}

/** `sessions` sessions × `each` requests, all concurrent and interleaved: exact counts each. */
export async function manySessions(url: string, sessions: number, each: number): Promise<void> {
  const c = client(80);
  try {
    const cookies = await Promise.all(
      Array.from({ length: sessions }, async () =>
        sessionCookie((await c.request(`${url}/count`)).setCookie),
      ),
    );
    const jobs: string[] = [];
    for (let k = 1; k < each; k++) jobs.push(...cookies);
    const replies = await Promise.all(jobs.map((cookie) => c.request(`${url}/count`, { cookie })));
    const bad = replies.filter((r) => r.status !== 200);
    expect(bad.slice(0, 3).map((r) => `${r.status} ${r.body.slice(0, 300)}`)).toEqual([]);
    expect(bad.length).toBe(0);
    const finals = await Promise.all(
      cookies.map(async (cookie) => (await c.request(`${url}/count`, { cookie })).body),
    );
    // one more request each: the counter is then each + 1
    expect(finals.map((b) => Number(b.trim().split(/\s+/)[0]))).toEqual(
      cookies.map(() => each + 1),
    );
  } finally {
    c.close();
  }
}

export async function until<T>(
  what: string,
  ms: number,
  probe: () => Promise<T | null> | T | null,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface KillUnderLoad {
  victim: number;
  /** the pids that served appends after the kill */
  servedAfterKill: Set<number>;
  /** stops the load; resolves once every writer has stopped */
  stop(): Promise<void>;
  /** checks that every acknowledged append is in its session */
  verify(): Promise<void>;
}

/**
 * Six writers append 1, 2, 3… to their own sessions (POST, each over its own keep-alive
 * connection) while a seventh session is held locked by a slow request; the process serving
 * that request is killed with SIGKILL. Then the held session must be usable at once (well
 * within `lockTimeout`, after which it would get 503), and the others keep serving.
 */
export async function killUnderLoad(
  url: string,
  app: string,
  lockTimeout: number,
): Promise<KillUnderLoad> {
  const setup = client(4);
  const newSession = async (): Promise<string> =>
    sessionCookie((await setup.request(`${url}/count`)).setCookie);
  const writers = await Promise.all(Array.from({ length: 6 }, newSession));
  const held = await newSession();

  const acked = writers.map(() => [] as number[]);
  const servedAfterKill = new Set<number>();
  let killed = false;
  let running = true;
  const load = writers.map(async (cookie, i) => {
    const c = client(1);
    for (let v = 1; running; v++) {
      // Sent after the kill: no answer can come from the killed process. (One sent just before
      // may still be answered by it: its reply was on the wire when the signal landed.)
      const sentAfterKill = killed;
      try {
        const r = await c.request(`${url}/append?v=${v}`, { method: 'POST', cookie });
        if (r.status === 200) {
          acked[i]!.push(v);
          if (sentAfterKill) servedAfterKill.add(servedBy(r.body));
        }
      } catch {
        // the connection went with the killed process: not acknowledged, go on
      }
    }
    c.close();
  });

  const holder = path.join(app, 'holder');
  const holding = client(1)
    .request(`${url}/hold?s=60`, { method: 'POST', cookie: held })
    .then(
      (r) => `answered ${r.status}`,
      () => 'dropped',
    );
  const victim = await until('the hold request running', 60_000, () =>
    fs.existsSync(holder) ? Number(fs.readFileSync(holder, 'utf8')) || null : null,
  );
  await new Promise((r) => setTimeout(r, 500));
  process.kill(victim, 'SIGKILL');
  killed = true;
  // Its connection went with the process (through nginx: 502, never resent as it is a POST).
  expect(await holding).toMatch(/^(dropped|answered 502)$/);

  // Its session is usable at once, not after LockTimeout (which would answer 503).
  // (A new connection: the setup's idle ones to the killed process are gone with it.)
  setup.close();
  const check = client(1);
  const t0 = Date.now();
  const after = await check.request(`${url}/count`, { cookie: held });
  expect(after.status).toBe(200);
  expect(Date.now() - t0).toBeLessThan((lockTimeout * 1000) / 2);

  await until('appends served after the kill', 60_000, () =>
    servedAfterKill.size > 0 ? true : null,
  );
  expect(servedAfterKill.has(victim)).toBe(false);
  return {
    victim,
    servedAfterKill,
    stop: async () => {
      running = false;
      await Promise.all(load);
    },
    verify: async () => {
      for (const [i, cookie] of writers.entries()) {
        const shown = (await check.request(`${url}/show`, { cookie })).body.trim().split(/\s+/)[0]!;
        const stored = new Set(shown.split(',').filter(Boolean).map(Number));
        expect(acked[i]!.length).toBeGreaterThan(0);
        expect(acked[i]!.filter((v) => !stored.has(v))).toEqual([]);
      }
      check.close();
    },
  };
}
