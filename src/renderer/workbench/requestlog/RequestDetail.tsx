/**
 * One request: what was asked and answered, per namespace the diff before → after, the discarded
 * changes of a rollback (struck through) with the line that raised, the save points in order,
 * replay (as it was, or as a dry run against the state before it) and "copy as curl"; where the
 * journal recorded them, the timing breakdown, the keys written and the page's namespace.
 */
import { servedByText } from './served-by.js';
import { LogLines } from './LogLines.js';
import { KeyWrites, ScopeView, TimingBreakdown } from './RunDetails.js';
import { namespaceLabel } from '../../base/namespace.js';
import { useState } from 'react';
import type {
  InspectorApi,
  JournalEntry,
  ReplayMode,
  ReplayResult,
} from '../../../common/api-inspector.js';
import type { NamespaceChange } from '../../../common/types/journal.js';
import { KeyDiffLine } from '../inspector/SessionDetail.js';
import { formatBytes } from '../inspector/SessionList.js';
import { curlCommand } from './curl.js';
import { DiffView } from './DiffView.js';
import { ResponseBody } from './ResponseBody.js';
import { OUTCOME_LABELS } from './filters.js';
import { useDialogsContext } from '../hooks/useDialogs.js';

interface Props {
  api: InspectorApi;
  entry: JournalEntry;
  serverUrl: string | undefined;
  onOpenLine(file: string, line: number, col: number): void;
  onError(message: string): void;
}

function Changes({
  changes,
  label,
  struck,
}: {
  changes: NamespaceChange[];
  label: string;
  struck?: boolean;
}) {
  return (
    <>
      {changes.map((c) => (
        <div
          key={c.name}
          className={`ns-change ${struck ? 'discarded' : ''}`}
          data-namespace={c.name}
        >
          <div>
            <b>{namespaceLabel(c.name)}</b> <KeyDiffLine change={c} />
          </div>
          <DiffView before={c.before} after={c.after} label={`${label} ${c.name}`} />
        </div>
      ))}
    </>
  );
}

function Pairs({ rows }: { rows: [string, string][] }) {
  if (rows.length === 0) return <div className="muted">none</div>;
  return (
    <table className="pairs">
      <tbody>
        {rows.map(([k, v], i) => (
          <tr key={i}>
            <th>{k}</th>
            <td>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function RequestDetail({ api, entry: e, serverUrl, onOpenLine, onError }: Props) {
  const [replay, setReplay] = useState<ReplayResult | undefined>();
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState<string | undefined>();

  const { confirm } = useDialogsContext();
  const run = async (mode: ReplayMode): Promise<void> => {
    if (
      mode === 'again' &&
      !(await confirm(
        'Replay',
        `Send #${e.serial} ${e.method} ${e.path} again, for real? It runs against the live session${e.sessionId ? ` ${e.sessionId.slice(0, 10)}…` : ''} and commits what it changes. "Replay on the state before" is the dry run.`,
        'Replay for real',
      ))
    )
      return;
    setBusy(true);
    api.replayRequest(e.serial, mode).then(
      (r) => {
        setReplay(r);
        setBusy(false);
      },
      (err: Error) => {
        setBusy(false);
        onError(err.message);
      },
    );
  };
  const copy = (): void => {
    const text = curlCommand(e, serverUrl ?? 'http://127.0.0.1:8080');
    setCopied(text);
    void navigator.clipboard?.writeText(text).catch(() => undefined);
  };
  const cause = e.cause;
  const isRequest = e.outcome !== 'edited';

  return (
    <div className="log-detail" data-serial={e.serial}>
      <div className="toolbar">
        <b>
          #{e.serial} {e.method} {e.path}
          {e.query ? `?${e.query}` : ''}
        </b>
        <span className="muted request-timing">
          {e.status} · {Math.round(e.durationMs)} ms
        </span>
        <span className="muted request-served-by" title="the engine process that served it">
          {servedByText(e.servedBy)}
        </span>
        <span className={`badge outcome-${e.outcome}`}>{OUTCOME_LABELS[e.outcome]}</span>
        {isRequest ? (
          <>
            <button disabled={busy} onClick={() => void run('again')}>
              Replay
            </button>
            <button disabled={busy} onClick={() => void run('before')}>
              Replay on the state before (dry run)
            </button>
            <button onClick={copy}>Copy as curl</button>
          </>
        ) : null}
      </div>
      {copied ? <pre className="curl">{copied}</pre> : null}
      {e.edit ? <div className="edit-what">{e.edit}</div> : null}

      {cause ? (
        <section className="cause" aria-label="Cause">
          <div className="error-text">
            {cause.type ? `${cause.type}: ` : `${cause.kind}: `}
            {cause.message}
          </div>
          {cause.file && cause.line ? (
            <button
              className="link"
              onClick={() => onOpenLine(cause.file!, cause.line!, cause.col ?? 1)}
            >
              {cause.file}:{cause.line}
              {cause.source ? ` — ${cause.source.trim()}` : ''}
            </button>
          ) : null}
        </section>
      ) : null}

      {e.changes.length ? (
        <section aria-label="Session changes">
          <h4>Session {e.outcome === 'preview' ? 'changes it would have made' : 'changes'}</h4>
          <Changes changes={e.changes} label="change" />
        </section>
      ) : null}
      {e.tooLarge?.length ? (
        <section aria-label="Values not kept">
          <h4>Values too large to keep</h4>
          <ul className="too-large">
            {e.tooLarge.map((d) => (
              <li key={`${d.name} ${d.phase}`}>
                {namespaceLabel(d.name)} {d.phase}: {formatBytes(d.size)}, sha256{' '}
                <code title={d.sha256}>{d.sha256.slice(0, 16)}…</code> — over the journal&apos;s
                per-value bound ([Studio] JournalMaxBytes), so not restorable from this request
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {e.discarded?.length ? (
        <section aria-label="Discarded changes">
          <h4>Discarded (rolled back)</h4>
          <Changes changes={e.discarded} label="discarded" struck />
        </section>
      ) : null}
      {e.saves.length ? (
        <section aria-label="Save points">
          <h4>Save points</h4>
          <ol className="saves">
            {e.saves.map((s, i) => (
              <li key={i}>
                at {s.at} ms:{' '}
                {s.changes.map((c) => namespaceLabel(c.name)).join(', ') || 'nothing changed'}
                {s.changes.map((c) => (
                  <KeyDiffLine key={c.name} change={c} />
                ))}
              </li>
            ))}
          </ol>
        </section>
      ) : null}

      <TimingBreakdown entry={e} />
      <KeyWrites entry={e} onOpenLine={onOpenLine} />
      <LogLines lines={e.logs} />
      <ScopeView entry={e} />
      {replay ? <ReplayView r={replay} /> : null}

      {e.request ? (
        <details className="io" open={!e.changes.length && !cause}>
          <summary>Request</summary>
          <h5>query</h5>
          <Pairs rows={[...new URLSearchParams(e.query)]} />
          <h5>form</h5>
          <Pairs rows={e.request.form} />
          <h5>cookies</h5>
          <Pairs rows={Object.entries(e.request.cookies)} />
          <h5>headers</h5>
          <Pairs rows={e.request.headers} />
          {e.request.body !== undefined ? <pre className="body">{e.request.body}</pre> : null}
        </details>
      ) : null}
      {e.response ? (
        <details className="io response">
          <summary>Response {e.response.status}</summary>
          <Pairs rows={e.response.headers} />
          {e.response.body !== undefined ? (
            <ResponseBody
              body={e.response.body}
              truncated={!!e.response.bodyTruncated}
              html={e.response.headers.some(
                ([k, v]) => k.toLowerCase() === 'content-type' && v.includes('html'),
              )}
            />
          ) : null}
        </details>
      ) : null}
    </div>
  );
}

/** A difference in what the session ends with (see compareOutcomes in the service). */
const isSessionDifference = (d: string): boolean =>
  d.startsWith('changed:') || d.startsWith('discarded:');

function ReplayView({ r }: { r: ReplayResult }) {
  // the outcome is status and outcome; what the session ends with is said apart
  const same = r.original.status === r.replay.status && r.original.outcome === r.replay.outcome;
  const session = r.differences.filter(isSessionDifference);
  const other = r.differences.filter((d) => !isSessionDifference(d));
  return (
    <section
      className={`replay ${same && r.differences.length === 0 ? 'same' : 'different'}`}
      aria-label="Replay result"
    >
      <h4>
        {r.mode === 'before' ? 'Dry run on the state before' : 'Replayed'}
        {r.serial ? ` (#${r.serial})` : ''}:{' '}
        {same ? 'same outcome as the original' : 'different outcome'}
      </h4>
      <table className="pairs">
        <tbody>
          <tr>
            <th></th>
            <th>original</th>
            <th>replay</th>
          </tr>
          <tr>
            <th>status</th>
            <td>{r.original.status}</td>
            <td>{r.replay.status}</td>
          </tr>
          <tr>
            <th>outcome</th>
            <td>{OUTCOME_LABELS[r.original.outcome]}</td>
            <td className="replay-outcome">{OUTCOME_LABELS[r.replay.outcome]}</td>
          </tr>
          <tr>
            <th>cause</th>
            <td>
              {r.original.cause
                ? `${r.original.cause.type ?? r.original.cause.kind} at ${r.original.cause.file}:${r.original.cause.line}`
                : '—'}
            </td>
            <td>
              {r.replay.cause
                ? `${r.replay.cause.type ?? r.replay.cause.kind} at ${r.replay.cause.file}:${r.replay.cause.line}`
                : '—'}
            </td>
          </tr>
        </tbody>
      </table>
      {other.length ? (
        <ul className="differences">
          {other.map((d, i) => (
            <li key={i}>{d}</li>
          ))}
        </ul>
      ) : null}
      <div className="replay-session">
        {session.length ? (
          <>
            The session ends differently:
            <ul className="differences">
              {session.map((d, i) => (
                <li key={i}>{d}</li>
              ))}
            </ul>
          </>
        ) : (
          'The session ends the same.'
        )}
      </div>
    </section>
  );
}
