/** The engine's public surface, for the CLI and PSE Studio. */
export {
  Engine,
  type EngineOptions,
  type EngineRequest,
  type EngineResponse,
  type LogLine,
  type LogSink,
  type ReloadEvent,
} from './engine.js';
export {
  ConfigError,
  loadConfig,
  parseConfig,
  defaultConfig,
  toWorkerConfig,
  CONF_NAME,
} from './config/index.js';
export type { PseConfig, MainConfig, SessionConfig, StudioConfig } from './config/index.js';
export type { RequestRecord } from './http/types.js';
export { formatLocated, type LocatedError, type TraceFrame } from '../common/types/located.js';
export type { ServletError } from './runtime/protocol.js';
export { PACKAGE_ROOT, PYTHON_DIR, PSE_VERSION } from './paths.js';
