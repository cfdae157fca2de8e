/**
 * Live preview: renders the servlet of the active file through the embedded engine as a dry run,
 * with the unsaved text of its template and code module, and shows what the page would have
 * changed in the session. The page runs in a sandboxed iframe on the preview origin.
 */
import { memo, useEffect, useState } from 'react';
import type {
  LocatedProblem,
  PreviewRequest,
  PreviewResult,
  PreviewSessionChoice,
  SessionSummary,
} from '../../common/api.js';
import type { ApiClient } from '../../common/rpc.js';
import type { LatestRunner } from '../base/latest.js';
import { codeModuleOf, servletOf } from '../base/paths.js';
import type { Documents } from './documents.js';
import { PendingChanges } from './PendingChanges.js';

/** The preview queue: one dry run at a time, the newest edit wins (see base/latest.ts). */
export type PreviewQueue = LatestRunner<PreviewRequest, PreviewResult>;

interface Props {
  api: ApiClient;
  /** shared with the compile check, which waits for it to be idle */
  queue: PreviewQueue;
  docs: Documents;
  active: string | undefined;
  files: Set<string>;
  /** grows on every edit of any open document */
  editVersion: number;
  /** bumped by "reload preview" */
  reloadTick: number;
  onRuntimeProblems(problems: LocatedProblem[]): void;
  /** "Preview as this session" from the inspector: choose this existing session */
  sessionRequest?: { id: string; nonce: number } | undefined;
}

function parsePairs(text: string): [string, string][] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const i = l.indexOf('=');
      return i < 0 ? [l, ''] : [l.slice(0, i).trim(), l.slice(i + 1).trim()];
    });
}

/** The innermost frame in the app's own template or code module: where the error is marked. */
function runtimeProblems(result: PreviewResult): LocatedProblem[] {
  if (!result.error) return [];
  const own = result.error.frames.filter((f) => f.kind !== 'other' && !f.file.startsWith('/'));
  const frame = own.at(-1);
  if (!frame) return [];
  return [
    {
      stage: 'runtime',
      file: frame.file,
      line: frame.line,
      col: frame.col ?? 1,
      message: `${result.error.type}: ${result.error.message}`,
    },
  ];
}

export const PreviewPane = memo(function PreviewPane({
  api,
  queue,
  docs,
  active,
  files,
  editVersion,
  reloadTick,
  onRuntimeProblems,
  sessionRequest,
}: Props) {
  const [method, setMethod] = useState<'GET' | 'POST'>('GET');
  const [query, setQuery] = useState('');
  const [form, setForm] = useState('');
  const [cookies, setCookies] = useState('');
  const [session, setSession] = useState<string>('none');
  const [sessions, setSessions] = useState<SessionSummary[]>([]);
  useEffect(() => {
    if (!sessionRequest) return;
    setSession(sessionRequest.id);
    // The chosen session must be among the options for the select to show it.
    api.listSessions().then(setSessions, () => setSessions([]));
  }, [api, sessionRequest]);
  const [result, setResult] = useState<PreviewResult | undefined>();
  // the frame keeps its page while the page navigates itself; only a new preview reloads it
  const [frameSrc, setFrameSrc] = useState<string | undefined>();
  const [navigation, setNavigation] = useState<string | undefined>();
  const [failure, setFailure] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const servlet = active ? servletOf(active) : null;
  const runnable = !!servlet && files.has(servlet);

  useEffect(
    () =>
      queue.onOutcome((outcome) => {
        setBusy(false);
        if (outcome.ok) {
          setResult(outcome.value);
          setFrameSrc(outcome.value.documentUrl);
          setNavigation(undefined);
          setFailure(undefined);
          onRuntimeProblems(runtimeProblems(outcome.value));
        } else {
          setFailure(
            outcome.error instanceof Error ? outcome.error.message : String(outcome.error),
          );
        }
      }),
    [queue, onRuntimeProblems],
  );

  useEffect(() => {
    const sub = api.onPreviewNavigation((nav) => {
      setResult(nav.result);
      setNavigation(`${nav.method} ${nav.url}`);
      onRuntimeProblems(runtimeProblems(nav.result));
    });
    return () => sub.dispose();
  }, [api, onRuntimeProblems]);

  useEffect(() => {
    if (!servlet || !runnable) return;
    const overrides: Record<string, string> = {};
    for (const p of [servlet, codeModuleOf(servlet)]) {
      const doc = docs.get(p);
      if (doc) overrides[p] = doc.model.getValue();
    }
    const choice: PreviewSessionChoice =
      session === 'none'
        ? { kind: 'none' }
        : session === 'fresh'
          ? { kind: 'fresh' }
          : { kind: 'existing', id: session };
    const cookieMap = Object.fromEntries(parsePairs(cookies));
    setBusy(true);
    queue.submit({
      path: servlet,
      overrides,
      method,
      query: query.replace(/^\?/, ''),
      form: method === 'POST' ? parsePairs(form) : [],
      cookies: cookieMap,
      session: choice,
    });
  }, [
    servlet,
    runnable,
    editVersion,
    reloadTick,
    method,
    query,
    form,
    cookies,
    session,
    docs,
    queue,
  ]);

  // Leaving the file (or the pane): whatever was still coming is for a page no longer shown.
  useEffect(() => () => queue.cancel(), [queue, servlet]);

  const refreshSessions = (): void => {
    api.listSessions().then(setSessions, () => setSessions([]));
  };

  if (!servlet || !runnable) {
    return (
      <div className="preview">
        <div className="pane-header">Preview</div>
        <div className="empty">Open a servlet (.pt) or its code module (.py) to preview it.</div>
      </div>
    );
  }

  return (
    <div className="preview">
      <div className="pane-header">
        <span>
          Preview — <span className="preview-target">{servlet}</span>
        </span>
        <span className="preview-status" data-busy={busy ? 'yes' : 'no'}>
          {result ? `${result.status} · ${result.ms} ms` : ''}
        </span>
      </div>
      <div className="request-context">
        <select
          aria-label="Method"
          value={method}
          onChange={(e) => setMethod(e.target.value as 'GET' | 'POST')}
        >
          <option>GET</option>
          <option>POST</option>
        </select>
        <input
          aria-label="Query"
          placeholder="?name=value"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
        <select
          aria-label="Session"
          value={session}
          onFocus={refreshSessions}
          onChange={(e) => setSession(e.target.value)}
        >
          <option value="none">no session</option>
          <option value="fresh">fresh session</option>
          {sessions.map((s) => (
            <option key={s.id} value={s.id}>
              session {s.id.slice(0, 10)}…
            </option>
          ))}
        </select>
        <details>
          <summary>form & cookies</summary>
          {method === 'POST' ? (
            <textarea
              aria-label="Form fields"
              placeholder="name=value per line"
              value={form}
              onChange={(e) => setForm(e.target.value)}
            />
          ) : null}
          <textarea
            aria-label="Cookies"
            placeholder="cookie=value per line"
            value={cookies}
            onChange={(e) => setCookies(e.target.value)}
          />
        </details>
      </div>
      {failure ? <div className="preview-failure">{failure}</div> : null}
      {result ? (
        <>
          <iframe
            className="preview-frame"
            title="Preview"
            // No allow-same-origin: the page gets an opaque origin and cannot reach the Studio.
            sandbox="allow-scripts allow-forms allow-popups"
            src={frameSrc}
          />
          {navigation ? (
            <div className="preview-navigation" role="status">
              The page requested <code>{navigation}</code> — a dry run too: nothing was saved.
            </div>
          ) : null}
          {result.problems.length ? (
            <div className="preview-error" role="alert">
              {result.problems.map((p, i) => (
                <div key={i}>
                  {p.file}:{p.line}:{p.col}: {p.message}
                </div>
              ))}
            </div>
          ) : null}
          {result.error ? (
            <div className="preview-error" role="alert">
              <div className="error-title">
                {result.error.type}: {result.error.message}
              </div>
              <pre className="traceback">{result.error.text}</pre>
            </div>
          ) : null}
          <PendingChanges pending={result.pending} />
        </>
      ) : (
        <div className="empty">Rendering…</div>
      )}
    </div>
  );
});
