/**
 * A recorded visit as a test: journal entries (a selection from the request log, or a session's
 * timeline) become the steps of a `.psetest` file — each request as it was sent, and the status,
 * outcome and session state it left. The session state after a step is what the visit's own
 * entries changed, per session; a state the visit found already there (from requests before the
 * selection) is not known, so a test is most faithful when it starts where its session did.
 */
import type { JournalEntry } from '../../common/types/journal.js';
import type { PreviewValue } from '../../common/types/session.js';
import type { Expected, ExpectedNamespace, TestStep } from '../../common/types/testing.js';
import { printTest } from './psetest.js';
import { valueText } from './values.js';

/** Values that differ on every run: exported as `any`. */
const VOLATILE = new Set<PreviewValue['t']>(['datetime', 'date', 'time']);

/**
 * Request headers worth replaying: what a page reads to tell a form from an API call. The rest
 * are the browser's (and vary with it) or recomputed; a test author adds others by hand.
 */
const KEEP_HEADERS = new Set(['content-type', 'x-requested-with']);

export function stepsFromJournal(entries: readonly JournalEntry[]): TestStep[] {
  const sessions = new Map<string, Map<string, PreviewValue>>();
  const steps: TestStep[] = [];
  for (const e of [...entries].sort((a, b) => a.serial - b.serial)) {
    if (e.outcome === 'edited' || e.outcome === 'preview') continue;
    const state = e.sessionId
      ? (sessions.get(e.sessionId) ?? new Map<string, PreviewValue>())
      : null;
    if (state && e.sessionId) {
      sessions.set(e.sessionId, state);
      for (const c of e.changes) {
        if (c.after) state.set(c.name, c.after);
        else state.delete(c.name);
      }
    }
    steps.push({
      line: 0,
      method: e.method,
      target: encodeURI(e.path) + (e.query ? `?${e.query}` : ''),
      ...requestOf(e),
      status: e.status,
      outcome: e.outcome,
      session: state ? [...state].map(([name, v]) => expectedNamespace(name, v)) : [],
    });
  }
  return steps;
}

function requestOf(e: JournalEntry): Pick<TestStep, 'headers' | 'form' | 'body'> {
  const rec = e.request;
  const headers = (rec?.headers ?? []).filter(([k]) => KEEP_HEADERS.has(k.toLowerCase()));
  if (!rec || e.method === 'GET' || e.method === 'HEAD')
    return { headers: headers.filter(([k]) => k.toLowerCase() !== 'content-type'), form: [] };
  const type = headers.find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
  if (
    /^application\/x-www-form-urlencoded/i.test(type) ||
    (rec.body === undefined && rec.form.length)
  ) {
    // the query's fields travel in the target; the form lines hold the body's
    const fromQuery = new Set(new URLSearchParams(e.query).keys());
    const form =
      rec.body !== undefined && !rec.bodyTruncated
        ? [...new URLSearchParams(rec.body)]
        : rec.form.filter(([k]) => !fromQuery.has(k));
    return { headers: headers.filter(([k]) => k.toLowerCase() !== 'content-type'), form };
  }
  if (/^multipart\//i.test(type)) {
    // uploads are not replayed: their bytes are not in the journal
    const fromQuery = new Set(new URLSearchParams(e.query).keys());
    return {
      headers: headers.filter(([k]) => k.toLowerCase() !== 'content-type'),
      form: rec.form.filter(([k, v]) => !fromQuery.has(k) && !v.startsWith('<upload ')),
    };
  }
  return { headers, form: [], ...(rec.body !== undefined ? { body: rec.body } : {}) };
}

function expectedNamespace(name: string, v: PreviewValue): ExpectedNamespace {
  if (v.t !== 'dict') return { name, line: 0, keys: [['', expected(v)]] };
  return { name, line: 0, keys: v.v.map(([k, x]) => [k, expected(x)]) };
}

function expected(v: PreviewValue): Expected {
  return VOLATILE.has(v.t) ? { any: true } : { text: valueText(v) };
}

/** The text of a test file for these entries. */
export function testFromJournal(entries: readonly JournalEntry[], about: string): string {
  return printTest(stepsFromJournal(entries), [
    about,
    'Run it with `pse test APP`. Values are Python reprs; write `any` where any value will do.',
  ]);
}

/** A test name as a file name: letters, digits, '-', '_' and '/' (sub-folders of tests/). */
export function testFileName(name: string): string {
  const n = name.trim().replace(/\.psetest$/, '');
  if (!/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/.test(n))
    throw new Error(
      `test name '${name}': use letters, digits, '-' and '_' (and '/' for a sub-folder of tests/)`,
    );
  return `${n}.psetest`;
}
