/**
 * Recorded-visit tests (`tests/NAME.psetest`): what a test file holds and what a run of it
 * found. Shared by the engine (`pse test`) and PSE Studio. Plain data: no Node, no DOM.
 */
import type { JournalOutcome } from './journal.js';

/** A value a step expects: its one-line text (see engine/testing/values.ts), or any value. */
export type Expected = { any: true } | { text: string };

/** A namespace's expected state after a step. */
export interface ExpectedNamespace {
  name: string;
  /** 1-based line of its first mention */
  line: number;
  /** key → expected value; null: the namespace may hold anything (`namespace 'x' any`) */
  keys: [string, Expected][] | null;
}

export interface TestStep {
  /** 1-based line of its `request` statement */
  line: number;
  method: string;
  /** path and query, as sent */
  target: string;
  headers: [string, string][];
  /** urlencoded into the body */
  form: [string, string][];
  /** a raw body (instead of form fields) */
  body?: string;
  status?: number;
  outcome?: JournalOutcome;
  /**
   * The session after the step; absent: not checked. An empty list: no session data at all
   * (`session none`). Namespaces not listed must not exist.
   */
  session?: ExpectedNamespace[];
}

export interface TestFile {
  file: string;
  steps: TestStep[];
}

/** One difference of one key: `expected`/`actual` null when the key (or namespace) is missing. */
export interface KeyDifference {
  namespace: string;
  /** null: the whole namespace */
  key: string | null;
  expected: string | null;
  actual: string | null;
}

export interface StepResult {
  line: number;
  method: string;
  target: string;
  ok: boolean;
  status: number;
  outcome: JournalOutcome;
  /** what differs, one sentence each (status, outcome, session) */
  differences: string[];
  session: KeyDifference[];
  /** the servlet's exception, when it raised */
  error?: string;
}

export interface TestFileResult {
  /** as given (app-relative when under the app) */
  file: string;
  ok: boolean;
  steps: StepResult[];
  /** the file could not be read or parsed: file:line:col: message, one each */
  problems: string[];
}

export interface TestRunResult {
  ok: boolean;
  files: TestFileResult[];
}
