/**
 * The body of the fault tests' child processes (see children.ts):
 *   hold FILE                   BEGIN IMMEDIATE on FILE, print "locked"; on "release": COMMIT
 *   journal FILE COUNT LABEL    record COUNT entries in the journal FILE, print their serials
 */
import readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { openDatabase } from '../../src/engine/sqlite.js';
import { Journal } from '../../src/engine/journal/journal.js';
import { requestDraft } from '../../src/engine/journal/record.js';

const [mode, file, ...rest] = process.argv.slice(2);

if (mode === 'hold') {
  const db = openDatabase(file!);
  db.pragma('busy_timeout = 10000');
  db.exec('BEGIN IMMEDIATE');
  console.log('locked');
  readline.createInterface({ input: process.stdin }).on('line', (l) => {
    if (l !== 'release') return;
    db.exec('COMMIT');
    db.close();
    console.log('released');
    process.exit(0);
  });
} else if (mode === 'journal') {
  const count = Number(rest[0]);
  const label = rest[1]!;
  const journal = new Journal({ file: file!, size: 100_000 });
  const serials: number[] = [];
  for (let i = 0; i < count; i++) {
    const serial = journal.takeSerial();
    const facts = {
      time: Date.now(),
      method: 'GET',
      path: `/${label}/${i}`,
      query: '',
      status: 200,
      durationMs: 1,
      worker: 1,
      lockWaitMs: 0,
    };
    journal.record(requestDraft(facts, null, null), serial);
    serials.push(serial);
    // requests arrive over time: the other writer's batches land in between
    if (i % 7 === 0) await sleep(1);
  }
  journal.close();
  console.log(`serials ${JSON.stringify(serials)}`);
} else {
  console.error(`child.ts: unknown mode ${mode}`);
  process.exit(2);
}
