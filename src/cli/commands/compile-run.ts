/** What `pse compile` does (the command and its options: compile.ts). */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import {
  BootError,
  compileTemplate,
  CONF_NAME,
  ConfigError,
  defaultConfig,
  excerpt,
  lex,
  LineIndex,
  loadConfig,
  mapSyntaxErrors,
  parse,
  resolvePython,
  TemplateError,
  toWorkerConfig,
  WorkerPool,
  type PseConfig,
  type PySyntaxError,
  type StartInfo,
} from '../../engine/index.js';
import { formatLocated, type LocatedError } from '../../common/types/located.js';

import type { CompileCommandOptions, Output, Stage } from './compile.js';

const EXIT_OK = 0;
const EXIT_ERRORS = 1;
const EXIT_USAGE = 2;

/** Folders never searched for templates. */
const SKIP_DIRS = new Set(['node_modules', '__pycache__']);

interface Template {
  /** the path as given on disk */
  path: string;
  /** the name used in messages: relative to the working folder */
  file: string;
  source: string;
}

function load(file: string): Template {
  return {
    path: file,
    file: path.relative(process.cwd(), file) || file,
    source: readFileSync(file, 'utf8'),
  };
}

/** See compile.ts. */
export async function runCompile(
  opts: CompileCommandOptions,
  io: { out: Output; err: Output },
): Promise<number> {
  const src = path.resolve(opts.src);
  let isDir: boolean;
  try {
    isDir = statSync(src).isDirectory();
  } catch {
    io.err.write(`pse compile: no such file or folder: ${opts.src}\n`);
    return EXIT_USAGE;
  }
  const app = await appConfig(isDir ? src : path.dirname(src), io);
  if (typeof app === 'number') return app;
  const pythonName = opts.python ?? app?.main.pythonExecutable ?? 'python3';
  const tags = new Set(opts.tags ?? []);
  const worker = new CompileWorker(
    app ?? defaultConfig(isDir ? src : path.dirname(src)),
    pythonName,
    io,
  );
  try {
    if (app && app.main.tagModules.length > 0) {
      const found = await worker.tags();
      if (typeof found === 'number') return found;
      for (const t of found) tags.add(t);
    }
    return await compileTree(src, isDir, opts, tags, worker, io);
  } finally {
    await worker.stop();
  }
}

async function compileTree(
  src: string,
  isDir: boolean,
  opts: CompileCommandOptions,
  tags: ReadonlySet<string>,
  worker: CompileWorker,
  io: { out: Output; err: Output },
): Promise<number> {
  if (opts.stage) {
    if (isDir || !src.endsWith('.pt')) {
      io.err.write(`pse compile: --stage needs a single .pt file, not ${opts.src}\n`);
      return EXIT_USAGE;
    }
    return dumpStage(src, opts.stage, tags, io);
  }
  const root = isDir ? src : path.dirname(src);
  const files = isDir ? walk(src) : [src];
  const templates: Template[] = [];
  const modules: Template[] = [];
  for (const file of files) {
    if (file.endsWith('.pt')) templates.push(load(file));
    else if (file.endsWith('.py')) modules.push(load(file));
  }
  if (!isDir && templates.length + modules.length === 0) {
    io.err.write(`pse compile: ${opts.src} is neither a template (.pt) nor a code module (.py)\n`);
    return EXIT_USAGE;
  }

  const errors: TemplateError[] = [];
  const toCheck: { name: string; code: string }[] = [];
  const checked: {
    t: Template;
    result: Extract<ReturnType<typeof compileTemplate>, { ok: true }>;
  }[] = [];
  for (const t of templates) {
    const r = compileTemplate(t.source, { file: t.file, tags });
    if (!r.ok) {
      errors.push(...r.errors);
      continue;
    }
    toCheck.push({ name: String(toCheck.length), code: r.py });
    checked.push({ t, result: r });
  }
  for (const m of modules) toCheck.push({ name: String(toCheck.length), code: m.source });

  if (toCheck.length) {
    const found = await worker.check(toCheck);
    if (typeof found === 'number') return found;
    {
      for (const e of found) {
        const i = Number(e.name);
        if (i < checked.length) {
          const { t, result } = checked[i]!;
          errors.push(...mapSyntaxErrors([e], result, t));
        } else {
          const m = modules[i - checked.length]!;
          const lines = new LineIndex(m.source);
          errors.push(
            new TemplateError(
              'python',
              m.file,
              e.line,
              e.col,
              `Python syntax error: ${e.message}`,
              excerpt(lines, e.line, e.col),
            ),
          );
        }
      }
    }
  }

  // Generated sources are written even when Python rejects them: they are what to read then.
  for (const { t, result } of checked) {
    const target = ptyPath(t.path, root, opts.dest);
    writeAtomically(target, result.py);
  }

  errors.sort((a, b) =>
    a.file === b.file ? a.line - b.line || a.col - b.col : a.file < b.file ? -1 : 1,
  );
  for (const e of errors) io.err.write(e.format() + '\n');
  const summary = `${templates.length} template${templates.length === 1 ? '' : 's'}, ${modules.length} code module${modules.length === 1 ? '' : 's'}`;
  io.out.write(
    errors.length
      ? `pse compile: ${summary}: ${errors.length} error${errors.length === 1 ? '' : 's'}\n`
      : `pse compile: ${summary}: ok\n`,
  );
  return errors.length ? EXIT_ERRORS : EXIT_OK;
}

/**
 * The configuration of the application SRC belongs to: the nearest `pse.conf` in `dir` or a
 * folder above it; undefined when there is none; an exit status when it is broken.
 */
async function appConfig(
  dir: string,
  io: { out: Output; err: Output },
): Promise<PseConfig | undefined | number> {
  for (let d = dir; ; d = path.dirname(d)) {
    if (existsSync(path.join(d, CONF_NAME))) {
      try {
        return await loadConfig(d);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        for (const issue of e.issues) io.err.write(formatLocated(issue) + '\n');
        return EXIT_ERRORS;
      }
    }
    if (path.dirname(d) === d) return undefined;
  }
}

/**
 * The one worker `pse compile` boots, when first needed, with the application's configuration:
 * it reports the custom tag names the app's tag modules register (the workers are what imports
 * tag modules; Node never guesses from source) and checks the Python syntax of generated code
 * and code modules. A boot failure is reported where it fails; the exit status is returned then.
 */
class CompileWorker {
  private pool: WorkerPool | null = null;
  private info: Promise<StartInfo | number> | null = null;

  constructor(
    private readonly config: PseConfig,
    private readonly pythonName: string,
    private readonly io: { out: Output; err: Output },
  ) {}

  async tags(): Promise<string[] | number> {
    const info = await this.start();
    return typeof info === 'number' ? info : info.tags;
  }

  async check(sources: { name: string; code: string }[]): Promise<PySyntaxError[] | number> {
    const info = await this.start();
    if (typeof info === 'number') return info;
    return this.pool!.check(sources);
  }

  stop(): Promise<void> {
    return this.pool?.stop() ?? Promise.resolve();
  }

  private start(): Promise<StartInfo | number> {
    return (this.info ??= this.boot());
  }

  private async boot(): Promise<StartInfo | number> {
    const { config, io } = this;
    const python = await pythonFor(this.pythonName, io);
    if (typeof python === 'number') return python;
    this.pool = new WorkerPool({
      python,
      workers: 1,
      appRoot: config.appRoot,
      config: toWorkerConfig(config),
      requestTimeoutMs: 0,
      // Compiling a large tree keeps Node's loop busy between the boot and the check: the
      // worker's heartbeats are read late then, and it is not hung.
      heartbeatTimeoutMs: 10 * 60_000,
      // This worker only reports its tags and checks syntax: it is never asked to run a page.
      sources: (file) =>
        Promise.resolve<LocatedError>({
          stage: 'config',
          file,
          line: 1,
          col: 1,
          message: 'pse compile runs no pages',
        }),
    });
    try {
      const info = await this.pool.start();
      if (info.issues.length > 0) {
        for (const issue of info.issues) io.err.write(locatedText(issue) + '\n');
        return EXIT_ERRORS;
      }
      return info;
    } catch (e) {
      if (!(e instanceof BootError)) throw e;
      const where = e.issues.length
        ? e.issues.map(locatedText)
        : [`${relative(config.confFile)}: ${e.message}`];
      for (const line of where) io.err.write(`${line}\n`);
      const unknown =
        config.main.tagModules.length > 0
          ? `the custom tags of ${relative(config.confFile)} are unknown`
          : 'the Python syntax cannot be checked';
      io.err.write(`pse compile: ${unknown}: the worker did not boot (${firstLine(e.message)})\n`);
      return EXIT_ERRORS;
    }
  }
}

function relative(file: string): string {
  return path.relative(process.cwd(), file) || file;
}

/** A worker's located error as the compiler prints its own: relative path, then an excerpt. */
function locatedText(issue: LocatedError): string {
  let shown = issue.excerpt;
  if (shown === undefined) {
    try {
      shown = excerpt(new LineIndex(readFileSync(issue.file, 'utf8')), issue.line, issue.col);
    } catch {
      shown = ''; // not a readable file (e.g. a module inside a zip): the location still says where
    }
  }
  return formatLocated({ ...issue, file: relative(issue.file), excerpt: shown }, { excerpt: true });
}

function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  return nl < 0 ? text : text.slice(0, nl);
}

function dumpStage(
  file: string,
  stage: Stage,
  tags: ReadonlySet<string>,
  io: { out: Output; err: Output },
): number {
  const source = readFileSync(file, 'utf8');
  const lexed = lex(source, file, tags);
  let errors: TemplateError[] = lexed.errors;
  let text: string | undefined;
  if (stage === 'tokens') text = JSON.stringify(lexed.tokens, null, 2);
  else if (!errors.length) {
    const parsed = parse(lexed.tokens, file, lexed.lines);
    errors = parsed.errors;
    if (stage === 'ast') text = JSON.stringify(parsed.tree, null, 2);
    else if (!errors.length) {
      const r = compileTemplate(source, { file, tags });
      if (r.ok) text = r.py;
      else errors = r.errors;
    }
  }
  if (text !== undefined) io.out.write(text.endsWith('\n') ? text : text + '\n');
  for (const e of errors) io.err.write(e.format() + '\n');
  return errors.length ? EXIT_ERRORS : EXIT_OK;
}

/** Templates and code modules under `dir`, skipping dot-files, dot-folders and caches. */
function walk(dir: string): string[] {
  const out: string[] = [];
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : 1,
  );
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) out.push(...walk(full));
    } else if (e.isFile() && (e.name.endsWith('.pt') || e.name.endsWith('.py'))) {
      out.push(full);
    }
  }
  return out;
}

function ptyPath(file: string, root: string, dest: string | undefined): string {
  const pty = file.slice(0, -'.pt'.length) + '.pty';
  return dest === undefined ? pty : path.join(path.resolve(dest), path.relative(root, pty));
}

/** Write to a temporary file, then rename: a reader never sees half a file. */
function writeAtomically(target: string, text: string): void {
  mkdirSync(path.dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, target);
}

/** The interpreter's real path, or the usage exit status after saying why there is none. */
async function pythonFor(pythonName: string, io: { err: Output }): Promise<string | number> {
  try {
    return (await resolvePython(pythonName)).executable;
  } catch (e) {
    io.err.write(`pse compile: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT_USAGE;
  }
}
