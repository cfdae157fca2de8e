/**
 * Recorded visits as tests: tick requests of the log (or take the chosen session's whole
 * timeline), name the test and export it as tests/NAME.psetest; list the app's tests and run
 * them (on a temporary session store), with the result of every step.
 */
import { useCallback, useEffect, useState } from 'react';
import type { InspectorApi, JournalEntry } from '../../../common/api-inspector.js';
import type { TestingApi, TestRunResult } from '../../../common/api-testing.js';
import { OutcomeBadge } from '../requestlog/RequestLog.js';
import './tests.css';

const LIMIT = 200;

interface Props {
  api: InspectorApi & TestingApi;
  /** the session chosen in the inspector: "its whole timeline" selects its requests */
  sessionId: string | undefined;
  onOpenLine(file: string, line: number, col: number): void;
  onError(message: string): void;
}

export function TestsPanel({ api, sessionId, onOpenLine, onError }: Props) {
  const [entries, setEntries] = useState<JournalEntry[]>([]);
  const [picked, setPicked] = useState<Set<number>>(new Set());
  const [name, setName] = useState('');
  const [exported, setExported] = useState<string | null>(null);
  const [tests, setTests] = useState<string[]>([]);
  const [run, setRun] = useState<TestRunResult | null>(null);
  const [running, setRunning] = useState(false);

  const loadEntries = useCallback(() => {
    api
      .requestLog({
        before: 0,
        limit: LIMIT,
        path: '',
        status: '',
        outcome: '',
        sessionId: '',
        previews: 'hidden',
      })
      .then((es) => setEntries(es.filter((e) => e.outcome !== 'edited' && e.outcome !== 'preview')))
      .catch((e: Error) => onError(e.message));
  }, [api, onError]);
  const loadTests = useCallback(() => {
    api.listTests().then(setTests, (e: Error) => onError(e.message));
  }, [api, onError]);

  useEffect(() => {
    loadEntries();
    loadTests();
    const sub = api.onRequestFinished((e) => {
      if (e.outcome !== 'edited' && e.outcome !== 'preview')
        setEntries((es) => [e, ...es.filter((x) => x.serial !== e.serial)].slice(0, LIMIT));
    });
    return () => sub.dispose();
  }, [api, loadEntries, loadTests]);

  const toggle = (serial: number): void =>
    setPicked((p) => {
      const next = new Set(p);
      if (!next.delete(serial)) next.add(serial);
      return next;
    });

  const takeTimeline = (): void => {
    if (!sessionId) return;
    api.sessionTimeline(sessionId).then(
      (ticks) =>
        setPicked(new Set(ticks.filter((t) => t.outcome !== 'edited').map((t) => t.serial))),
      (e: Error) => onError(e.message),
    );
  };

  const doExport = (): void => {
    api
      .exportTest(
        name.trim(),
        [...picked].sort((a, b) => a - b),
      )
      .then(
        (r) => {
          setExported(`Wrote ${r.file} (${r.steps} steps).`);
          setPicked(new Set());
          loadTests();
        },
        (e: Error) => onError(e.message),
      );
  };

  const doRun = (files: string[]): void => {
    setRunning(true);
    api
      .runTests(files)
      .then(setRun, (e: Error) => onError(e.message))
      .finally(() => setRunning(false));
  };

  return (
    <div className="tests-panel">
      <section className="tests-record" aria-label="Record a test">
        <div className="toolbar">
          <strong>Record a test</strong>
          <button onClick={loadEntries}>Refresh</button>
          <button
            disabled={!sessionId}
            title={sessionId ? undefined : 'choose a session under Sessions first'}
            onClick={takeTimeline}
          >
            Select the session’s timeline
          </button>
          <button disabled={picked.size === 0} onClick={() => setPicked(new Set())}>
            Select none
          </button>
          <input
            aria-label="Test name"
            placeholder="test name (tests/NAME.psetest)"
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
          <button disabled={picked.size === 0 || name.trim() === ''} onClick={doExport}>
            Export {picked.size} request{picked.size === 1 ? '' : 's'} as a test
          </button>
          {exported ? <span className="muted">{exported}</span> : null}
        </div>
        <div className="tests-rows">
          <table className="grid">
            <thead>
              <tr>
                <th />
                <th>#</th>
                <th>method</th>
                <th>path</th>
                <th>status</th>
                <th>session</th>
                <th>outcome</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr
                  key={e.serial}
                  data-serial={e.serial}
                  className={picked.has(e.serial) ? 'selected' : ''}
                  onClick={() => toggle(e.serial)}
                >
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`request ${e.serial}`}
                      checked={picked.has(e.serial)}
                      onChange={() => toggle(e.serial)}
                      onClick={(ev) => ev.stopPropagation()}
                    />
                  </td>
                  <td>{e.serial}</td>
                  <td>{e.method}</td>
                  <td className="path">{e.path + (e.query ? `?${e.query}` : '')}</td>
                  <td>{e.status}</td>
                  <td className="mono">{e.sessionId ? e.sessionId.slice(0, 8) : '—'}</td>
                  <td>
                    <OutcomeBadge outcome={e.outcome} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {entries.length === 0 ? <div className="empty">No recorded requests yet.</div> : null}
        </div>
      </section>
      <section className="tests-run" aria-label="Run tests">
        <div className="toolbar">
          <strong>Tests</strong>
          <button disabled={running || tests.length === 0} onClick={() => doRun([])}>
            {running ? 'Running…' : 'Run all'}
          </button>
          {run ? (
            <span className={run.ok ? 'test-pass' : 'test-fail'}>
              {run.ok ? 'all passed' : 'differences found'}
            </span>
          ) : null}
        </div>
        <ul className="tests-files">
          {tests.map((t) => {
            const result = run?.files.find((f) => f.file === t);
            return (
              <li key={t} data-test={t}>
                <div className="test-file">
                  <span
                    className={result ? (result.ok ? 'test-pass' : 'test-fail') : 'muted'}
                    aria-label={result ? (result.ok ? 'passed' : 'failed') : 'not run'}
                  >
                    {result ? (result.ok ? '✓' : '✗') : '·'}
                  </span>
                  <button className="link" onClick={() => onOpenLine(t, 1, 1)}>
                    {t}
                  </button>
                  <button disabled={running} onClick={() => doRun([t])}>
                    Run
                  </button>
                </div>
                {result?.problems.map((p) => (
                  <div key={p} className="test-fail mono">
                    {p}
                  </div>
                ))}
                {result && result.steps.length ? (
                  <table className="grid test-steps">
                    <tbody>
                      {result.steps.map((s, i) => (
                        <tr key={i} data-ok={s.ok} className={s.ok ? '' : 'differs'}>
                          <td className={s.ok ? 'test-pass' : 'test-fail'}>{s.ok ? '✓' : '✗'}</td>
                          <td>
                            <button className="link" onClick={() => onOpenLine(t, s.line, 1)}>
                              line {s.line}
                            </button>
                          </td>
                          <td>
                            {s.method} {s.target}
                          </td>
                          <td>{s.status}</td>
                          <td>
                            <OutcomeBadge outcome={s.outcome} />
                          </td>
                          <td>
                            {s.differences.map((d) => (
                              <div key={d} className="test-diff">
                                {d}
                              </div>
                            ))}
                            {s.error ? <div className="muted">raised {s.error}</div> : null}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                ) : null}
              </li>
            );
          })}
        </ul>
        {tests.length === 0 ? (
          <div className="empty">No tests yet: tick requests above and export them.</div>
        ) : null}
      </section>
    </div>
  );
}
