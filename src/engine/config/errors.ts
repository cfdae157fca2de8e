import { formatLocated, type LocatedError } from '../../common/types/located.js';

/** pse.conf could not be used; `issues` holds every problem found, each with its place. */
export class ConfigError extends Error {
  readonly issues: LocatedError[];
  constructor(issues: LocatedError[]) {
    super(issues.map((i) => formatLocated(i)).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}
