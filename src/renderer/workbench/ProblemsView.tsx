/** Problems: compile and runtime errors of the open files, each a link to its line. */
import { memo } from 'react';
import type { LocatedProblem } from '../../common/api.js';

export const ProblemsView = memo(function ProblemsView({
  problems,
  onGoto,
}: {
  problems: LocatedProblem[];
  onGoto(problem: LocatedProblem): void;
}) {
  return (
    <ul className="problems" aria-label="Problems">
      {problems.length === 0 ? <li className="empty">No problems.</li> : null}
      {problems.map((p, i) => (
        <li key={i} className={`problem ${p.stage}`} onClick={() => onGoto(p)}>
          <span className="problem-loc">
            {p.file}:{p.line}:{p.col}
          </span>{' '}
          <span className="problem-msg">{p.message}</span>
        </li>
      ))}
    </ul>
  );
});
