/** The `server.log` lines a request wrote, in order, with their time into the request. */
import type { RequestLogLine } from '../../../common/types/journal.js';

export function LogLines({ lines }: { lines: RequestLogLine[] | undefined }) {
  if (!lines?.length) return null;
  return (
    <section aria-label="Log lines">
      <h4>server.log ({lines.length})</h4>
      <table className="grid log-lines">
        <tbody>
          {lines.map((l, i) => (
            <tr key={i} data-level={l.level}>
              <td className="muted">{l.at.toFixed(1)} ms</td>
              <td className={`level level-${l.level.toLowerCase()}`}>{l.level}</td>
              <td className="mono">{l.msg}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
