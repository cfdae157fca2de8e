import type { WorkerConfig } from '../runtime/protocol.js';
import type { PseConfig } from './types.js';
import { PSE_VERSION } from '../paths.js';

/** What the CPython workers need of the configuration (protocol.ts `InitMsg.config`). */
export function toWorkerConfig(config: PseConfig, version: string = PSE_VERSION): WorkerConfig {
  const m = config.main;
  return {
    path: m.path,
    includePath: m.includePath,
    pluginPath: m.pluginPath,
    tagModules: m.tagModules,
    autoEscape: m.autoEscape,
    memoryCacheSize: m.memoryCacheSize,
    maxBuffer: m.maxBuffer,
    workerMemory: m.workerMemory,
    showTracebacks: m.showTracebacks,
    exceptionHook: m.exceptionHook,
    plugins: config.plugins,
    confFile: config.confFile,
    session: {
      cookieName: config.session.cookieName,
      cookieSecure: config.session.cookieSecure,
      cookieExpires: config.session.cookieExpires,
    },
    version,
  };
}
