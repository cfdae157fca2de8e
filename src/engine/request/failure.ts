/**
 * A servlet run that failed before it answered: what status the client gets, what the journal
 * records, what the error log says. The one place a WorkerFailure becomes an HTTP status.
 */
import { toErrorAnswer } from '../http/app.js';
import { errorPage } from '../http/error-pages.js';
import { HttpError } from '../http/http-error.js';
import type { Answer } from '../http/types.js';
import type { Failure } from '../journal/record.js';
import { WorkerFailure } from '../runtime/pool.js';
import { StoreUnavailableError } from '../session/store.js';

/** Worker crash → 502, timeout → 504, nobody to run it → 503; anything else 500. */
export function failureStatus(err: unknown): number {
  if (err instanceof HttpError) return err.status;
  if (!(err instanceof WorkerFailure)) return 500;
  return err.kind === 'timeout' ? 504 : err.kind === 'crash' ? 502 : 503;
}

/** The failure as the journal records it. */
export function failureOf(err: unknown): Failure {
  if (err instanceof WorkerFailure) {
    return {
      kind: err.kind === 'timeout' ? 'timeout' : err.kind === 'crash' ? 'crash' : 'error',
      message: err.message,
    };
  }
  return { kind: 'error', message: err instanceof Error ? err.message : String(err) };
}

/** The error page of a failed run; the cause goes to the error log. An HttpError is rethrown. */
export function failureAnswer(err: unknown): Answer {
  if (err instanceof WorkerFailure) {
    const res = errorPage(
      failureStatus(err),
      err.kind === 'timeout'
        ? 'The page took too long (RequestTimeout).'
        : 'The page could not be produced.',
    );
    return { res, worker: err.worker, error: err.message };
  }
  if (err instanceof HttpError) throw err;
  const unavailable = storeUnavailable(err);
  if (unavailable) throw unavailable;
  return toErrorAnswer(err);
}

/** A session store that cannot take a change now (locked, disk full): 503 with Retry-After. */
export function storeUnavailable(err: unknown): HttpError | null {
  if (!(err instanceof StoreUnavailableError)) return null;
  return new HttpError(503, err.message, { headers: [['Retry-After', String(err.retryAfter)]] });
}
