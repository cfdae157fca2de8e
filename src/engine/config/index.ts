export type {
  MainConfig,
  PseConfig,
  SessionConfig,
  StudioConfig,
  RawPluginOptions,
} from './types.js';
export { ConfigError } from './errors.js';
export { CONF_NAME, defaultConfig, loadConfig, parseConfig, type ConfigOptions } from './load.js';
export { toWorkerConfig } from './worker-config.js';
export { parseIni, type IniDocument, type IniEntry, type IniSection } from './ini.js';
