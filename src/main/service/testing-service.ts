/**
 * TestingService: the recorded-visit tests part of StudioApi on an embedded engine — export
 * journal entries as `tests/NAME.psetest`, list and run the app's tests. The run uses its own
 * workers and a temporary session store (src/engine/testing/runner.ts): the running server, its
 * sessions and its journal are left as they are.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ExportedTest, TestingApi, TestRunResult } from '../../common/api-testing.js';
import type { JournalEntry } from '../../common/types/journal.js';
import {
  findTests,
  runTests,
  TEST_EXT,
  testFileName,
  testFromJournal,
  TESTS_DIR,
  type SessionService,
} from '../../engine/index.js';
import { toRelative } from './paths.js';

/** What the tests need of the engine; the real `Engine` fits. */
export interface TestingEngine {
  readonly appRoot: string;
  readonly sessionService: SessionService | null;
  readonly python?: string;
}

/** A bad testing call: no journal, unknown entries, a taken or bad name, a file outside tests/. */
export class TestingError extends Error {
  override name = 'TestingError';
}

export class TestingService implements TestingApi {
  constructor(private readonly target: TestingEngine | undefined) {}

  private get engine(): TestingEngine {
    if (!this.target) throw new TestingError('this Studio engine cannot run tests');
    return this.target;
  }

  async exportTest(name: string, serials: number[]): Promise<ExportedTest> {
    const journal = this.engine.sessionService?.journal;
    if (!journal?.enabled)
      throw new TestingError(
        'the request journal is off (sessions disabled, [Studio] JournalSize = 0, or --production): there are no recorded requests to export',
      );
    if (serials.length === 0) throw new TestingError('select the requests to export first');
    let fileName: string;
    try {
      fileName = testFileName(name);
    } catch (err) {
      throw new TestingError((err as Error).message);
    }
    const entries: JournalEntry[] = [];
    for (const serial of new Set(serials)) {
      const e = await journal.get(serial);
      if (!e)
        throw new TestingError(
          `request #${serial} is no longer in the journal (it keeps the newest entries only)`,
        );
      entries.push(e);
    }
    const abs = path.join(this.engine.appRoot, TESTS_DIR, fileName);
    const rel = toRelative(this.engine.appRoot, abs);
    const first = Math.min(...entries.map((e) => e.serial));
    const last = Math.max(...entries.map((e) => e.serial));
    const text = testFromJournal(
      entries,
      `${name}: ${entries.length} request(s) recorded by PSE Studio (journal #${first}–#${last}, ${new Date().toISOString()})`,
    );
    await mkdir(path.dirname(abs), { recursive: true });
    try {
      await writeFile(abs, text, { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST')
        throw new TestingError(`${rel} exists already: choose another name (it is kept as it is)`);
      throw err;
    }
    return { file: rel, steps: entries.filter((e) => e.outcome !== 'edited').length };
  }

  async listTests(): Promise<string[]> {
    return (await findTests(this.engine.appRoot)).map((f) => toRelative(this.engine.appRoot, f));
  }

  async runTests(files: string[]): Promise<TestRunResult> {
    const root = this.engine.appRoot;
    const testsDir = path.join(root, TESTS_DIR);
    const list = files.length
      ? files.map((f) => {
          const abs = path.resolve(root, f);
          const rel = path.relative(testsDir, abs);
          if (rel.startsWith('..') || path.isAbsolute(rel) || !abs.endsWith(TEST_EXT))
            throw new TestingError(`${f}: a test is a ${TEST_EXT} file under ${TESTS_DIR}/`);
          return abs;
        })
      : await findTests(root);
    if (list.length === 0)
      throw new TestingError(
        `${TESTS_DIR}/ holds no ${TEST_EXT} files: select requests in the log and export them first`,
      );
    const python = this.engine.python;
    return runTests(root, list, python ? { python } : {});
  }
}
