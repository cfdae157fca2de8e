/**
 * What the journal recorded of a request's run (while it is on): where its time went, the
 * session keys it wrote with the line of each write, and the servlet's namespace at the end of
 * the run (the variables its template saw).
 */
import type { JournalEntry, RequestTimings } from '../../../common/types/journal.js';
import { namespaceLabel } from '../../base/namespace.js';
import { ValueTree } from '../inspector/ValueTree.js';

const PARTS: [keyof RequestTimings, string][] = [
  ['lockWaitMs', 'waiting for the session lock'],
  ['workerWaitMs', 'waiting for a worker'],
  ['moduleMs', 'code module (.py)'],
  ['templateMs', 'template (.pt)'],
  ['commitMs', 'session commit'],
];

export function TimingBreakdown({ entry: e }: { entry: JournalEntry }) {
  const t = e.timings;
  if (!t) return null;
  const total = Math.max(e.durationMs, 0.001);
  const parts = PARTS.reduce((n, [k]) => n + (t[k] as number), 0);
  const rest = Math.max(0, e.durationMs - parts);
  return (
    <section aria-label="Timing">
      <h4>Where the time went ({e.durationMs.toFixed(1)} ms in all)</h4>
      <table className="grid timings">
        <tbody>
          {PARTS.map(([k, label]) => {
            const ms = t[k] as number;
            return (
              <tr key={k} data-part={k}>
                <th>{label}</th>
                <td className="timing-ms">{ms.toFixed(1)} ms</td>
                <td className="timing-bar">
                  <span style={{ width: `${Math.min(100, (ms / total) * 100)}%` }} />
                </td>
                <td className="muted">
                  {k === 'lockWaitMs' && t.lockBehind
                    ? `behind #${t.lockBehind.serial} ${t.lockBehind.path}`
                    : ''}
                </td>
              </tr>
            );
          })}
          <tr data-part="other">
            <th>the rest (loading the session, the journal, HTTP)</th>
            <td className="timing-ms">{rest.toFixed(1)} ms</td>
            <td className="timing-bar">
              <span style={{ width: `${Math.min(100, (rest / total) * 100)}%` }} />
            </td>
            <td />
          </tr>
        </tbody>
      </table>
    </section>
  );
}

export function KeyWrites({
  entry: e,
  onOpenLine,
}: {
  entry: JournalEntry;
  onOpenLine(file: string, line: number, col: number): void;
}) {
  if (!e.writes?.length) return null;
  return (
    <section aria-label="Keys written">
      <h4>Session keys written</h4>
      <table className="grid key-writes">
        <tbody>
          {e.writes.map((w) => (
            <tr key={`${w.name}\u0000${w.key}`} data-namespace={w.name} data-key={w.key}>
              <td>{namespaceLabel(w.name)}</td>
              <td className="mono">{w.key}</td>
              <td>
                <button className="link" onClick={() => onOpenLine(w.file, w.line, 1)}>
                  {w.file}:{w.line}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function ScopeView({ entry: e }: { entry: JournalEntry }) {
  const s = e.scope;
  if (!s) return null;
  const empty = s.value.t === 'dict' && s.value.v.length === 0;
  return (
    <section aria-label="Page namespace" className="scope">
      <h4>What the page saw (its namespace at the end of the run)</h4>
      {s.capped ? (
        <div className="scope-capped muted" role="note">
          Capped: some values, items or characters were left out (the journal keeps 100 names, two
          levels below each, 5 items of a name&apos;s value and 50 of those inside it, 200
          characters a string, 150 values in all).
        </div>
      ) : null}
      {empty ? <div className="muted">no variables</div> : <ValueTree value={s.value} />}
    </section>
  );
}
