/**
 * `pse studio --web`: the embedded engine, the Studio service on it, and the web server that
 * serves the renderer and the API. Used by the CLI, by scripts/start.mjs's fallback and by tests.
 */
import { fileURLToPath } from 'node:url';
import { openStudioEngine } from '../service/engine-adapter.js';
import { StudioService } from '../service/studio-service.js';
import { startWebStudio, type WebStudio } from './web-server.js';

/** out/renderer of this package (src/main/web and dist/main/web are both three levels down). */
export const DEFAULT_RENDERER_DIR = fileURLToPath(
  new URL('../../../out/renderer/', import.meta.url),
);

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
