/**
 * The request journal's write cost, apart from the server: CPU µs per journaled request (the
 * process's CPU, so the checkpoint thread's share counts too), for an entry shaped like the
 * session example's (a read with its namespace preview, ~1.1 KB of JSON, 32 sessions taking
 * turns), at JournalSize 5,000 (the default) and 50,000, and at a cap in bytes (16 MiB) that
 * holds ~15,000 such entries. This tree's journal and that of
 * PSE_BENCH_BASE (a git revision, default the merge base with main) write alternately in one
 * process, in blocks of 5,000 entries, so that both see the same machine; the first blocks,
 * while the files fill up to their cap, are not counted. Prints each journal's figure and the
 * ratio.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JournalDraft } from '../src/engine/journal/journal.js';
import { ROOT, baseRevision, checkOutBase } from './base-tree.js';

const BLOCK = 5000;
const ROUNDS = Number(process.env.PSE_BENCH_ROUNDS ?? '8');

interface JournalLike {
  record(draft: JournalDraft): unknown;
  flush(): unknown;
  close(): unknown;
}
type JournalClass = new (o: { file: string; size: number; maxBytes: number }) => JournalLike;

const SESSIONS = Array.from({ length: 32 }, (_, i) =>
  Buffer.from(`session ${i} of the journal's write benchmark`).toString('base64url').slice(0, 43),
);

/** A request of the session example as the development server journals it. */
function draft(i: number): JournalDraft {
  return {
    time: Date.now(),
    method: 'GET',
    path: '/session_example',
    query: '',
    status: 200,
    durationMs: 5.1,
    worker: 1 + (i % 2),
    lockWaitMs: 0.004,
    sessionId: SESSIONS[i % SESSIONS.length]!,
    outcome: 'read_only',
    changes: [],
    saves: [],
    request: {
      headers: [
        ['host', 'localhost:18556'],
        ['cookie', `pse_example=${SESSIONS[i % SESSIONS.length]}`],
      ],
      cookies: { pse_example: SESSIONS[i % SESSIONS.length]! },
      form: [],
    },
    response: {
      status: 200,
      headers: [['Content-Type', 'text/html; charset=utf-8']],
      body: '<!DOCTYPE html>\n<html>\n<head><title>Session example</title></head>\n<body>\n<p>Hello, Nick!</p>\n</body>\n</html>\n',
    },
    scope: {
      value: {
        t: 'dict',
        v: [
          ['form', { t: 'dict', v: [] }],
          ['data', { t: 'dict', v: [['name', { t: 'str', v: 'Nick' }]] }],
          ['name', { t: 'str', v: 'Nick' }],
        ],
      },
      capped: false,
    },
    timings: {
      lockWaitMs: 0.004,
      workerWaitMs: 4.95,
      moduleMs: 0.0105,
      templateMs: 0.0018,
      commitMs: 0.0845,
    },
    servedBy: { host: 'bench', pid: process.pid, instance: 0 },
  } as JournalDraft;
}

/** CPU µs of one block written by `j`. */
function block(j: JournalLike): number {
  const c0 = process.cpuUsage();
  for (let i = 0; i < BLOCK; i++) j.record(draft(i));
  j.flush();
  const c = process.cpuUsage(c0);
  return c.user + c.system;
}

export async function run(): Promise<string[]> {
  const baseRev = baseRevision();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-bench-journal-'));
  const lines = [
    `this tree ÷ ${baseRev.slice(0, 12)}, CPU per journaled request, ${ROUNDS} rounds`,
  ];
  try {
    const tree = checkOutBase(baseRev, tmp);
    const load = async (root: string): Promise<JournalClass> =>
      (
        (await import(path.join(root, 'src/engine/journal/journal.ts'))) as {
          Journal: JournalClass;
        }
      ).Journal;
    const classes = { base: await load(tree), tree: await load(ROOT) };
    const caps = [
      { name: 'JournalSize 5000', size: 5000, maxBytes: 0, entries: 5000 },
      { name: 'JournalSize 50000', size: 50_000, maxBytes: 0, entries: 50_000 },
      // ~15,000 entries of the example's size: the cap in bytes is the one reached
      { name: 'JournalMaxBytes 16M', size: 1_000_000, maxBytes: 16 << 20, entries: 15_000 },
    ];
    for (const { name, size, maxBytes, entries } of caps) {
      const journals = {
        base: new classes.base({ file: path.join(tmp, `base-${size}.sqlite`), size, maxBytes }),
        tree: new classes.tree({ file: path.join(tmp, `tree-${size}.sqlite`), size, maxBytes }),
      };
      // filled to the cap first: a full journal trims as it writes, as a server's does
      const fill = Math.ceil(entries / BLOCK) + 1;
      const us = { base: 0, tree: 0 };
      for (let r = 0; r < fill + ROUNDS; r++) {
        for (const k of r % 2 ? (['base', 'tree'] as const) : (['tree', 'base'] as const)) {
          const t = block(journals[k]);
          if (r >= fill) us[k] += t;
        }
      }
      // a base whose checkpoint thread does not keep the process alive while closing would let
      // this process end inside the await: a timer keeps it up meanwhile
      const alive = setInterval(() => {}, 1000);
      for (const j of Object.values(journals)) await j.close();
      clearInterval(alive);
      const per = (k: 'base' | 'tree'): string => (us[k] / (ROUNDS * BLOCK)).toFixed(1);
      lines.push(
        `${name}: ${per('tree')} µs (this tree), ${per('base')} µs (base): ${(us.tree / us.base).toFixed(2)}`,
      );
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return lines;
}
