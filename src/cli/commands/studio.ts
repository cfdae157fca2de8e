/**
 * `pse studio [APP] [--web] [--port N]`: the IDE. Desktop by default; in a browser with --web
 * (also when Electron cannot start here — one line says why).
 */
import path from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';

function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535)
    throw new InvalidArgumentError(`expected a port number 0–65535, got '${value}'`);
  return n;
}

// Studio's launchers (engine, web server, Electron lookup) load only when `pse studio` runs:
// main.ts registers every command, and the other commands must not pay for them.
async function web(appRoot: string, port: number, production: boolean): Promise<void> {
  const { launchWebStudio } = await import('../../main/web/launch.js');
  const studio = await launchWebStudio({ appRoot, port, production, log: (l) => console.error(l) });
  console.log(`PSE Studio for ${appRoot}: ${studio.url}`);
  console.log('Open that URL in a browser (the token in it is required). Ctrl+C stops.');
  const stop = (): void => {
    void studio.close().finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

export function register(program: Command): void {
  program
    .command('studio')
    .description('PSE Studio, the IDE: desktop app, or in a browser with --web')
    .argument('[APP]', 'application folder', '.')
    .option(
      '--web',
      'serve the Studio to a browser on 127.0.0.1 instead of opening the desktop app',
    )
    .option('--port <N>', 'port of the browser-mode server (default: any free port)', parsePort, 0)
    .option('--production', 'run the embedded engine in production mode')
    .action(async (app: string, opts: { web?: boolean; port: number; production?: boolean }) => {
      const appRoot = path.resolve(app);
      if (!existsSync(appRoot) || !statSync(appRoot).isDirectory()) {
        program.error(`pse studio: ${appRoot} is not a folder`, { exitCode: 2 });
      }
      if (!opts.web) {
        const { findElectron, runDesktop } = await import('../../main/desktop-launch.js');
        const electron = findElectron();
        const why = 'path' in electron ? await runDesktop(appRoot, electron.path) : electron.error;
        if (why === null) return;
        console.error(`pse studio: ${why}; opening in browser mode instead.`);
      }
      await web(appRoot, opts.port, opts.production ?? false);
    });
}
