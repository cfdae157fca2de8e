import type { LocatedError } from '../runtime/protocol.js';

/** pse.conf could not be used; `issues` holds every problem found, each with its place. */
export class ConfigError extends Error {
  readonly issues: LocatedError[];
  constructor(issues: LocatedError[]) {
    super(issues.map(formatLocated).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** `file:line:col: message` — the form editors and terminals turn into links. */
export function formatLocated(e: LocatedError): string {
  return `${e.file}:${e.line}:${e.col}: ${e.message}`;
}
