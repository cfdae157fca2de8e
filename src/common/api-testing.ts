/**
 * The recorded-visit tests part of the Studio API: export journal entries as `tests/NAME.psetest`
 * and run the app's tests. `StudioApi` extends `TestingApi`; `TESTING_ARGS` is merged into
 * API_ARGS. Plain data, no Node, no DOM.
 */
import type { Schema } from './schema.js';
import type { TestRunResult } from './types/testing.js';

export type { KeyDifference, StepResult, TestFileResult, TestRunResult } from './types/testing.js';

export interface ExportedTest {
  /** app-relative, e.g. `tests/checkout.psetest` */
  file: string;
  steps: number;
}

export interface TestingApi {
  /**
   * Writes the journal entries `serials` (in serial order) as `tests/NAME.psetest`. `name`:
   * letters, digits, '-', '_' ('/' for a sub-folder). An existing file is never overwritten.
   */
  exportTest(name: string, serials: number[]): Promise<ExportedTest>;
  /** The app's test files, app-relative. */
  listTests(): Promise<string[]>;
  /** Runs test files (app-relative; none: all of them) on a fresh, temporary session store. */
  runTests(files: string[]): Promise<TestRunResult>;
}

const serial: Schema = { t: 'int', min: 1, max: Number.MAX_SAFE_INTEGER };
const file: Schema = { t: 'string', min: 1, max: 4096 };

export const TESTING_ARGS: { readonly [K in keyof TestingApi]: readonly Schema[] } = {
  exportTest: [
    { t: 'string', min: 1, max: 200 },
    { t: 'array', of: serial, max: 10_000 },
  ],
  listTests: [],
  runTests: [{ t: 'array', of: file, max: 1000 }],
};
