/**
 * `npm run bench`: every benchmark of the project, in one run, so that ratios compare figures
 * taken under the same machine load. Each module exports `run(): Promise<string[]>`.
 * Run a subset with `npm run bench -- compile http`; `goals` gathers every goal in one run
 * (`npm run bench -- goals --readme` also rewrites the README's table of goals). Arguments
 * starting with `--` are the modules' own options.
 */
interface BenchModule {
  run(): Promise<string[]>;
}

const ALL = [
  'compile',
  'runtime',
  'http',
  'session',
  'studio',
  'inspector',
  'journal-extras',
  'journal-write',
  'worker-instructions',
  'cpu',
  'instances',
  'scale',
  'modes',
  'peers',
  'startup',
  'goals',
] as const;

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const names = wanted.length ? wanted : [...ALL];
  let failed = false;
  for (const name of names) {
    if (!(ALL as readonly string[]).includes(name)) {
      console.error(`bench: unknown benchmark '${name}' (known: ${ALL.join(', ')})`);
      process.exitCode = 2;
      return;
    }
    console.log(`\n== ${name}`);
    try {
      const mod = (await import(`./${name}.ts`)) as BenchModule;
      for (const line of await mod.run()) console.log(line);
    } catch (err) {
      failed = true;
      console.error(
        `bench ${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
    }
  }
  if (failed) process.exitCode = 1;
}

await main();
