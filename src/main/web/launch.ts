/**
 * `pse studio --web`: the embedded engine, the Studio service on it, and the web server that
 * serves the renderer and the API. Used by the CLI, by scripts/start.mjs's fallback and by tests.
 */
import path from 'node:path';
import { PACKAGE_ROOT } from '../../engine/boot.js';
import { openStudioEngine } from '../service/engine-adapter.js';
import { StudioService } from '../service/studio-service.js';
import { startWebStudio, type WebStudio } from './web-server.js';

/** out/renderer of this package (found from its root: this code may run from a bundle). */
export const DEFAULT_RENDERER_DIR = path.join(PACKAGE_ROOT, 'out', 'renderer') + path.sep;

export interface WebLaunchOptions {
  appRoot: string;
  port?: number;
  production?: boolean;
  workers?: number;
  rendererDir?: string;
  log?: (line: string) => void;
}

export interface RunningWebStudio extends WebStudio {
  service: StudioService;
}

export async function launchWebStudio(options: WebLaunchOptions): Promise<RunningWebStudio> {
  const engine = await openStudioEngine(options.appRoot, {
    ...(options.production !== undefined ? { production: options.production } : {}),
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
  });
  const service = new StudioService(engine);
  let web: WebStudio;
  try {
    web = await startWebStudio({
      service,
      rendererDir: options.rendererDir ?? DEFAULT_RENDERER_DIR,
      port: options.port ?? 0,
      ...(options.log ? { log: options.log } : {}),
    });
  } catch (err) {
    await service.close();
    await engine.close();
    throw err;
  }
  return {
    ...web,
    service,
    close: async () => {
      await web.close();
      await service.close();
      await engine.close();
    },
  };
}
