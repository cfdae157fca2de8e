/**
 * [Main] WorkerMemory: a page that allocates without bound gets MemoryError (500) at the limit,
 * and the same worker goes on serving; the default limit is on.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEFAULT_WORKER_MEMORY } from '../../src/engine/config/load.js';
import { get, serveApp, type App } from './helpers.js';

const PAGES = {
  'hog.pt': '<? hoard = []\nwhile True:\n    hoard.append(bytearray(1 << 20)) ?>never',
  'limit.pt':
    '<? import os, resource ?><?= resource.getrlimit(resource.RLIMIT_DATA)[0] ?> <?= os.getpid() ?>',
};

let limited: App;
let byDefault: App;

beforeAll(async () => {
  limited = await serveApp({ 'pse.conf': '[Main]\nWorkers = 1\nWorkerMemory = 256M\n', ...PAGES });
  byDefault = await serveApp({ 'pse.conf': '[Main]\nWorkers = 1\n', ...PAGES });
});
afterAll(async () => {
  await limited?.stop();
  await byDefault?.stop();
});

it('answers a page that allocates without bound with MemoryError, and keeps its worker', async () => {
  const before = (await get(limited.port, '/limit.pt')).body.split(' ');
  expect(before[0]).toBe(String(256 * 1024 ** 2));
  const hog = await get(limited.port, '/hog.pt');
  expect(hog.status).toBe(500);
  expect(hog.body).toContain('MemoryError');
  const after = await get(limited.port, '/limit.pt');
  expect(after).toEqual({ status: 200, body: before.join(' ') });
});

it('limits workers by default', async () => {
  const r = await get(byDefault.port, '/limit.pt');
  expect(r.body.split(' ')[0]).toBe(String(DEFAULT_WORKER_MEMORY));
});
