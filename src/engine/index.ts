/** The engine's one door: what the CLI and PSE Studio use of it. */
export { Engine, type EngineOptions, type ReloadEvent } from './engine.js';
export type { EngineRequest, EngineResponse } from './request/in-process.js';
export type { PreviewSession } from './request/preview.js';
export type { SessionState } from './session/ticket.js';
export { servletErrorPage } from './request/servlet-error-page.js';
export { consoleLogLevel, type LogLine, type LogSink } from './logs/engine-log.js';
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
export { BootError, WorkerPool, type StartInfo } from './runtime/pool.js';
export { resolvePython } from './runtime/python.js';
export {
  compileTemplate,
  lex,
  mapSyntaxErrors,
  parse,
  TemplateError,
  type PySyntaxError,
} from './template/index.js';
export { excerpt, LineIndex } from './template/source.js';
export type { SessionService } from './session/service.js';
export { BatchEditor, EditConflictError, EditProblemError } from './api/batch-edit.js';
export { namespacesAt, sessionHistory } from './journal/history.js';
export { sessionBlame } from './journal/blame.js';
export { PACKAGE_ROOT, PYTHON_DIR, PSE_VERSION } from './paths.js';
export { hostProblem, loopbackPatterns } from './host-names.js';
export { contentType } from './http/static.js';
export { migrateSessionStore } from './session/store-factory.js';
export { runPrimary } from './cluster/primary.js';
export { instanceAddress, isInstance, leaveCluster, runInstance } from './cluster/instance.js';
export type { InstanceServer } from './cluster/instance.js';
export { journalExceptions } from './journal/exceptions.js';
export { testFileName, testFromJournal } from './testing/export.js';
export { TEST_EXT } from './testing/psetest.js';
export { findTests, formatRun, runTests, TESTS_DIR } from './testing/runner.js';
