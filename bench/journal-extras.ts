/**
 * The cost of what the journal records beyond the request itself, on the development server
 * (journal on): each request's server.log lines, the line of each session-key write, the
 * servlet's namespace at the end of the run and the timing breakdown. Three pages over HTTP:
 * the session example's write path, the same page writing one server.log line per request,
 * and a listing page whose namespace holds 100 rows (the namespace preview's heavier case).
 * Each is served three ways in one run, in rounds whose order rotates (PSE_BENCH_ROUNDS) so
 * that all see the same load: by this tree without the journal's details
 * (`journalDetails: false`) and with them (the ratio is what the details cost), and by the
 * engine of PSE_BENCH_BASE (a git revision, default the merge base with main) for the ratio
 * of everything this tree changed. PSE_BENCH_PAGES (comma-separated) picks pages.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseSetCookie } from 'cookie';
import { ROOT, baseRevision, checkOutBase } from './base-tree.js';

const SECONDS = Number(process.env.PSE_BENCH_SECONDS ?? '5');
const ROUNDS = Number(process.env.PSE_BENCH_ROUNDS ?? '3');

interface EngineLike {
  listen(port: number): Promise<{ url: string }>;
  close(): Promise<void>;
}
type Open = (app: string, o: object) => Promise<EngineLike>;

/** Requests per second of `url` with a new name per request (every request commits). */
function writeRps(url: string, cookie: string): Promise<number> {
  const script = `
    import autocannon from 'autocannon';
    let n = 0;
    const r = await autocannon({
      url: ${JSON.stringify(url)}, connections: 16, duration: ${SECONDS},
      headers: ${JSON.stringify({ cookie })},
      requests: [{ setupRequest: (req) => ({ ...req, path: req.path + '?name=n' + (n++) }) }],
    });
    process.stdout.write(JSON.stringify({ rps: r.requests.average, bad: r.errors + r.non2xx }));`;
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}`));
      const r = JSON.parse(out) as { rps: number; bad: number };
      if (r.bad) return reject(new Error(`${r.bad} failed requests`));
      resolve(r.rps);
    });
  });
}

async function measure(open: Open, app: string, page: string): Promise<number> {
  const engine = await open(app, { watch: false, logFiles: false, workers: 2 });
  try {
    const { url } = await engine.listen(0);
    const target = `${url.replace(/\/$/, '')}/${page}`;
    const res = await fetch(`${target}?name=Nick`);
    const c = parseSetCookie(res.headers.getSetCookie()[0]!);
    const cookie = `${c.name}=${c.value}`;
    await Promise.all(
      Array.from({ length: 50 }, () =>
        fetch(target, { headers: { cookie } }).then((r) => r.text()),
      ),
    );
    return await writeRps(target, cookie);
  } finally {
    await engine.close();
  }
}

function appCopy(tmp: string, name: string): string {
  const app = path.join(tmp, name);
  fs.cpSync(path.join(ROOT, 'examples'), app, {
    recursive: true,
    filter: (s) => !s.includes(`${path.sep}.pse`),
  });
  const code = fs.readFileSync(path.join(app, 'session_example.py'), 'utf8');
  fs.writeFileSync(
    path.join(app, 'logged_example.py'),
    `${code}\nfrom pse.plugins import server\nserver.log('stored %s' % name)\n`,
  );
  fs.copyFileSync(path.join(app, 'session_example.pt'), path.join(app, 'logged_example.pt'));
  fs.writeFileSync(
    path.join(app, 'listing_example.py'),
    `${code}\nrows = [{'id': i, 'name': 'item %d' % i, 'price': i * 1.5} for i in range(100)]\n`,
  );
  fs.writeFileSync(
    path.join(app, 'listing_example.pt'),
    '<ul><? for r in rows: ?><li><?= r["name"] ?>: <?= r["price"] ?></li><? :for ?></ul>\n',
  );
  return app;
}

export async function run(): Promise<string[]> {
  const baseRev = baseRevision();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-bench-extras-'));
  try {
    const tree = checkOutBase(baseRev, tmp);
    const before = (
      (await import(path.join(tree, 'src/engine/engine.ts'))) as { Engine: { open: Open } }
    ).Engine;
    const after = (
      (await import(path.join(ROOT, 'src/engine/engine.ts'))) as { Engine: { open: Open } }
    ).Engine;
    const lines: string[] = [];
    const variants = {
      // this tree without the details: what it records beyond them equals the base's
      plain: { engine: after, extra: { journalDetails: false } },
      details: { engine: after, extra: {} },
      base: { engine: before, extra: {} },
    } as const;
    type Variant = keyof typeof variants;
    const names = Object.keys(variants) as Variant[];
    const pages = (
      process.env.PSE_BENCH_PAGES ?? 'session_example.pt,logged_example.pt,listing_example.pt'
    ).split(',');
    for (const page of pages) {
      const rps: Record<Variant, number[]> = { plain: [], details: [], base: [] };
      for (let r = 0; r < ROUNDS; r++) {
        // the order rotates and reverses: no variant always goes first (the load drifts)
        const turned = names.map((_, i) => names[(i + r) % names.length]!);
        const order = r % 2 === 0 ? turned : turned.reverse();
        for (const which of order) {
          const v = variants[which];
          const open: Open = (a, o) => v.engine.open(a, { ...o, ...v.extra });
          rps[which].push(await measure(open, appCopy(tmp, `${which}${r}${page}`), page));
        }
      }
      const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
      const plain = mean(rps.plain);
      const details = mean(rps.details);
      const base = mean(rps.base);
      const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(1)}%`;
      lines.push(
        `${page.padEnd(22)} write, journal on: details off ${plain.toFixed(0)} req/s, on ${details.toFixed(0)} req/s: ${pct(details, plain)}; base ${base.toFixed(0)} req/s, this tree ${pct(details, base)} of it (base ${baseRev.slice(0, 8)})`,
      );
    }
    return lines;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
