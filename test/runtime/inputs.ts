/** What the runtime tests hand the pool: a plain GET of one servlet of a test app. */
import path from 'node:path';
import type { RunInput } from '../../src/engine/runtime/run.js';

export function runInput(root: string, name: string, extra: Partial<RunInput> = {}): RunInput {
  return {
    servlet: path.join(root, name),
    method: 'GET',
    url: `/${name}`,
    path: `/${name}`,
    query: '',
    headers: [['host', 'localhost']],
    remote: ['127.0.0.1', 40000],
    local: ['127.0.0.1', 8080],
    form: [],
    session: null,
    dry: false,
    ...extra,
  };
}
