/** `pse new APP`: a new application with a commented pse.conf and a working example page. */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { EXIT_USAGE, reportFailure } from '../report.js';

export function register(program: Command): void {
  program
    .command('new')
    .description('create a new application (refuses a folder that is not empty)')
    .argument('<app>', 'the folder to create')
    .action(async (app: string) => {
      process.exitCode = await createApp(path.resolve(app));
    });
}

export const CONF_TEMPLATE = `; pse.conf: the configuration of this PSE application.
; Comments start with ; or # at the beginning of a line. Option names are not case-sensitive.
; Paths are relative to this folder. Lists are comma-separated.

[Main]
; Folders added to sys.path (besides the servlet's own folder).
;Path = lib
; Folders searched by pse.include() and pse.call().
;IncludePath = .
; User plugins (one module per plugin), loaded in file-name order.
;PluginPath = plugins
; Modules that define custom tags (classes derived from pse.tags.CustomTag).
;TagModules = mytags
; HTML-escape <?= ?> and ="expr" values (no = the original PSE's raw output).
;AutoEscape = yes
; Compiled servlets kept per worker.
;MemoryCacheSize = 100
; Request bodies above this size get 413 (K, M, G suffixes allowed).
;MaxBody = 10M
; Where pse.cache output is also kept on disk (default: memory only).
;OutputCacheDir = .pse/cache
; Python worker processes (default: one per CPU).
;Workers = 2
;PythonExecutable = python3
; Host names the server answers to (default: any); others get 421.
;AllowedHosts = example.com, .example.org
; Seconds a request may run before its worker is replaced (504).
;RequestTimeout = 30
; Show tracebacks in error pages (default: yes, no with --production).
;ShowTracebacks = yes
; A module with text_traceback() / html_traceback() to render errors.
;ExceptionHook = myhooks

[plugins.session]
;CookieName = pse_session
; Minutes the cookie lives after the last access (0 = until the browser closes).
;CookieExpires = 0
;CookieSecure = no
; Minutes a session is kept after its last access.
;Timeout = 360
; Seconds a request waits for another request of the same session (then 503).
;LockTimeout = 30
`;

const FILES: Record<string, string> = {
  'pse.conf': CONF_TEMPLATE,
  'index.py': `# The code module of index.pt: it runs first, and the template sees its names.
import time

visits = pse.plugins.application.new()
visits['count'] = visits.get('count', 0) + 1
now = time.strftime('%H:%M:%S')
name = pse.form.get('name', '')
`,
  'index.pt': `<!DOCTYPE html>
<html>
<head><title>Welcome to PSE</title><link rel="stylesheet" href="style.css"></head>
<body>
<h1><? if name: ?>Hello, <?= name ?>!<? :else: ?>Hello from PSE<? :if ?></h1>
<p>It is <?= now ?>. This worker has served this page <?= visits['count'] ?> time<? if visits['count'] != 1: ?>s<? :if ?>.</p>
<form method="post">
  <input name="name" value="=name" placeholder="Your name">
  <button>Greet me</button>
</form>
</body>
</html>
`,
  'style.css': `body { font-family: sans-serif; margin: 2em auto; max-width: 40em; }\n`,
};

export async function createApp(dir: string): Promise<number> {
  try {
    const existing = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    });
    if (existing.length > 0) {
      process.stderr.write(`pse new: ${dir} exists and is not empty; nothing was written\n`);
      return EXIT_USAGE;
    }
    await mkdir(dir, { recursive: true });
    for (const [name, text] of Object.entries(FILES))
      await writeFile(path.join(dir, name), text, { flag: 'wx' });
  } catch (err) {
    return reportFailure(err, `cannot create ${dir}`);
  }
  process.stdout.write(
    `Created ${dir}\nRun it with: pse serve ${path.relative(process.cwd(), dir) || '.'}\n`,
  );
  return 0;
}
