/**
 * The exceptions part of the Studio API: the journal's failures grouped by type and raising
 * line. `StudioApi` extends `ExceptionsApi`; `EXCEPTIONS_ARGS` is merged into API_ARGS.
 */
import type { Schema } from './schema.js';
import type { ExceptionGroup } from './types/exceptions.js';

export type { ExceptionGroup } from './types/exceptions.js';

export interface ExceptionsApi {
  /** Latest group first; file paths app-relative. */
  exceptionGroups(): Promise<ExceptionGroup[]>;
}

export const EXCEPTIONS_ARGS: { readonly [K in keyof ExceptionsApi]: readonly Schema[] } = {
  exceptionGroups: [],
};
